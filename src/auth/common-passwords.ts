/**
 * Passwords and password stems that guessing lists try first (the top of the public breach
 * lists, keyboard walks, and words anyone would guess for this hotline). A password is refused
 * when, lower-cased with spaces and the digits and symbols at its ends removed, it is one of
 * these: "Password2024!" is "password". Short on purpose: it stops the guesses an attacker makes
 * first; the length rule and the sign-in lockout do the rest.
 */
export const COMMON_PASSWORDS: readonly string[] = [
  // the top of the breach lists
  'password', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'pass', 'passwd', 'passpass', 'password password',
  'qwerty', 'qwertyuiop', 'qwertyui', 'qwertz', 'azerty', 'asdfgh', 'asdfghjkl', 'zxcvbn', 'zxcvbnm',
  'qazwsx', 'qweasd', 'qweasdzxc', '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx', 'q1w2e3r4', 'abc', 'abcd',
  'abcdef', 'abcdefg', 'abcdefgh', 'abcdefghijkl', 'iloveyou', 'loveyou', 'love', 'lovely', 'princess',
  'admin', 'administrator', 'root', 'toor', 'user', 'guest', 'test', 'tester', 'testing', 'default',
  'changeme', 'change me', 'letmein', 'let me in', 'welcome', 'welcome to', 'hello', 'helloworld',
  'hello world', 'secret', 'topsecret', 'master', 'monkey', 'dragon', 'football', 'baseball', 'soccer',
  'superman', 'batman', 'starwars', 'sunshine', 'shadow', 'michael', 'jennifer', 'jordan', 'trustno',
  'whatever', 'freedom', 'access', 'login', 'mustang', 'computer', 'internet', 'samsung', 'iphone',
  'google', 'facebook', 'linkedin', 'chocolate', 'flower', 'summer', 'winter', 'spring',
  'autumn', 'january', 'december', 'monday', 'friday', 'yourname', 'myname', 'mypassword', 'newpassword',
  'oldpassword', 'temp', 'temppassword', 'temporary', 'nopassword', 'blank', 'nothing', 'asdf', 'aaaa',
  'zaq', 'zaqxsw', 'zaq1zaq1', 'correct horse battery staple', 'correcthorsebatterystaple',
  // words anyone would try against this hotline
  'cambodia', 'kampuchea', 'khmer', 'phnompenh', 'phnom penh', 'angkor', 'angkorwat', 'siemreap',
  'battambang', 'kampot', 'hotline', 'hotline admin', 'i4c', 'isaf', 'scorecard', 'staff', 'staffpassword',
  'reviewer', 'viewer', 'ministry', 'government', 'commune', 'province', 'district', 'citizen', 'citizens',
  'twilio', 'somleng', 'voice', 'message', 'messages', 'recording', 'complaint',
];
