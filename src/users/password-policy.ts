import { MailroomError } from '../errors.ts';

export const MIN_PASSWORD_LENGTH = 10;

// The most used passwords of public breach lists that are 10 characters or longer; shorter ones
// fail on length already.
const common = new Set([
  '1234567890',
  '0123456789',
  '1234567891',
  '0987654321',
  'qwertyuiop',
  'password12',
  'password123',
  'password1234',
  '1q2w3e4r5t',
  'qwerty1234',
  'qwerty12345',
  'iloveyou12',
  'abcdefghij',
  'aaaaaaaaaa',
  '1111111111',
  'passw0rd12',
  'administrator',
  'letmein123',
  'welcome123',
  'changeme123',
  'football12',
  'princess12',
  'sunshine12',
  'q1w2e3r4t5',
]);

/**
 * Refuses a password that is short or easily guessed: under 10 characters, one repeated
 * character, a plain run of keys or digits, a well-known password, or the user's own uid or
 * address in it. Length matters more than character classes, which are not demanded.
 */
export function checkPasswordStrength(password: string, context: { uid?: string; email?: string | null } = {}): void {
  const refuse = (why: string) => {
    throw new MailroomError('password_too_weak', `The password is too weak: ${why}`);
  };
  if (password.length < MIN_PASSWORD_LENGTH) refuse(`use at least ${MIN_PASSWORD_LENGTH} characters (it has ${password.length})`);
  if (password.length > 1024) refuse('use at most 1024 characters');
  if (new Set(password).size <= 2) refuse('it repeats one or two characters');
  if (common.has(password.toLowerCase())) refuse('it is one of the most used passwords');
  const lower = password.toLowerCase();
  if (context.uid && context.uid.length >= 3 && lower.includes(context.uid.toLowerCase())) refuse('it contains the user name');
  const local = context.email?.split('@')[0];
  if (local && local.length >= 3 && lower.includes(local.toLowerCase())) refuse('it contains the email address');
}
