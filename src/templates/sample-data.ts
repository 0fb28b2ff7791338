import type { TemplateLanguage, TemplateName } from './template-catalog.ts';

/**
 * Realistic data for the preview and the tests: exactly the variables of `variablesOf(name)`
 * (the common ones and the template's own), with names, dates and times as a user of that
 * language would see them (dates and times arrive already formatted).
 */
export function sampleData(name: TemplateName, language: TemplateLanguage): Record<string, unknown> {
  const zh = language === 'zh-CN';
  const common: Record<string, unknown> = {
    user: zh
      ? { display_name: '王小明', uid: 'xiaoming', email: 'xiaoming.wang@example.com' }
      : { display_name: 'Alice Andersen', uid: 'alice', email: 'alice.andersen@example.com' },
    instance_name: zh ? '示例云盘' : 'Example Cloud',
    base_url: 'https://cloud.example.com',
  };
  switch (name) {
    case 'share':
      return {
        ...common,
        sharer: zh ? '李华' : 'Bob Berg',
        file_name: zh ? '2026年度预算.xlsx' : 'Budget 2026.xlsx',
        link: 'https://cloud.example.com/s/Xk3pQ9aLm2',
        expiration: zh ? '2026年12月3日' : '2026-12-03',
        note: zh ? '这是最新版本，周五开会前请看一下。\n有问题随时找我。' : 'Here is the latest version, please have a look before Friday\'s meeting.\nThanks!',
      };
    case 'lost_password':
      return {
        ...common,
        link: 'https://cloud.example.com/reset/' + (zh ? 'pV8rX2mQ7tLw' : 'k3Jd9Fq1ZsYe'),
        expires_in_minutes: 60,
      };
    case 'activity':
      return {
        ...common,
        activities: zh
          ? [
              { subject: '李华 修改了文件', file_name: '2026年度预算.xlsx', link: 'https://cloud.example.com/f/1042', time: '2026年11月26日 09:14' },
              { subject: '张伟 与您共享了文件夹', file_name: '极光项目', link: 'https://cloud.example.com/f/2210', time: '2026年11月26日 10:02' },
              { subject: '李华 评论了文件', file_name: '设计说明.pdf', link: 'https://cloud.example.com/f/1177', time: '2026年11月26日 14:37' },
            ]
          : [
              { subject: 'Bob Berg changed a file', file_name: 'Budget 2026.xlsx', link: 'https://cloud.example.com/f/1042', time: '2026-11-26 09:14' },
              { subject: 'Carol Chen shared a folder with you', file_name: 'Project Aurora', link: 'https://cloud.example.com/f/2210', time: '2026-11-26 10:02' },
              { subject: 'Bob Berg commented on a file', file_name: 'Design brief.pdf', link: 'https://cloud.example.com/f/1177', time: '2026-11-26 14:37' },
            ],
        more: 0,
        settings_link: 'https://cloud.example.com/personal#notifications',
        unsubscribe_link: 'https://cloud.example.com/unsubscribe/' + (zh ? 'q8Zr2VwXn4' : 'Lm5tY7cP0e'),
      };
    case 'test':
      return common;
    case 'link_share':
      // Sent to an outside address: the recipient has no account, so the "user" is the address.
      return {
        ...common,
        user: zh
          ? { display_name: 'zhao.min@example.org', uid: '', email: 'zhao.min@example.org' }
          : { display_name: 'dana.diaz@example.org', uid: '', email: 'dana.diaz@example.org' },
        sharer: zh ? '李华' : 'Bob Berg',
        file_name: zh ? '2026年第一季度报价单.pdf' : 'Quote Q1 2026.pdf',
        link: 'https://cloud.example.com/s/' + (zh ? 'T4nB8cWq1R' : 'R7fWq2ZkT9'),
        expiration: zh ? '2026年12月10日' : '2026-12-10',
        note: zh ? '赵经理您好，这是电话里提到的报价单，请查收。\n有问题随时联系我。' : 'Hi Dana, here is the quote we talked about on the phone.\nBest regards, Bob',
      };
    case 'welcome':
      return {
        ...common,
        link: 'https://cloud.example.com/set-password/' + (zh ? 'h2Kd9QzV5tWm' : 'Vb7Kq1xZ3mNp'),
        expires_in_days: 7,
      };
    case 'password_changed':
      return {
        ...common,
        changed_at: zh ? '2026年11月26日 14:37' : '2026-11-26 14:37',
        reset_link: 'https://cloud.example.com/forgot',
      };
    case 'email_change_verify':
      return {
        ...common,
        link: 'https://cloud.example.com/confirm-email/' + (zh ? 'c5Rm0LpX7eYs' : 'N3wE6gHs8JdQ'),
        new_email: zh ? 'wangxm@example.net' : 'alice.andersen@example.net',
        expires_in_hours: 24,
      };
    case 'email_change_notice':
      return {
        ...common,
        old_email: zh ? 'xiaoming.wang@example.com' : 'alice.andersen@example.com',
        new_email: zh ? 'wangxm@example.net' : 'alice.andersen@example.net',
        changed_at: zh ? '2026年11月26日 14:37' : '2026-11-26 14:37',
        undo_link: 'https://cloud.example.com/undo-email/' + (zh ? 'Hq4Ws9Lm2Xc' : 'Rt6Yb3Nf8Kd'),
        reset_link: 'https://cloud.example.com/forgot',
      };
  }
}
