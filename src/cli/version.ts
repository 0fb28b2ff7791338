// One reading of package.json for the whole program: db/ records the version with migrations.
export { mailroomVersion } from '../mailroom-version.ts';
