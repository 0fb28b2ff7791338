import packageJson from '../package.json' with { type: 'json' };

/** This build's version, as package.json gives it: recorded with each migration it applies. */
export const mailroomVersion: string = packageJson.version;
