/** The test mail of the settings page, as the seed chapter words it, in the shipped languages. */
export function testMailContent(language: string, instanceName: string): { subject: string; text: string } {
  if (language === 'zh-CN') {
    return {
      subject: '邮件设置测试',
      text: `如果您收到了这封邮件，说明邮件设置是正确的。\n\n--\n${instanceName}\n`,
    };
  }
  return {
    subject: 'Email setting test',
    text: `If you received this email, the settings seem to be correct.\n\n--\n${instanceName}\n`,
  };
}
