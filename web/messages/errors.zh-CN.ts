/**
 * What each of Mailroom's error codes means, in Chinese. The server's messages are English and
 * exact (they name the setting, the value, the server's reply); the Chinese interface shows this
 * summary first and the exact message after it. A test checks that every code has one.
 */
export const errorSummariesZhCN: Readonly<Record<string, string>> = {
  // Requests and usage
  invalid_request: '请求格式不正确。',
  unauthorized: '未提供有效的凭据，请重新登录。',
  forbidden: '您无权执行此操作。',
  not_found: '要找的内容不存在。',
  payload_too_large: '请求内容超过了允许的大小。',
  internal_error: 'Mailroom 内部发生了意外错误，请查看日志。',
  network_error: '无法连接到 Mailroom，请检查网络或服务是否在运行。',

  // Configuration
  config_unknown_key: '没有这个设置项。',
  config_invalid_value: '该设置不允许此值。',
  setting_locked: '该设置由配置文件或环境变量固定，只能在那里修改。',
  setting_file_only: '该设置指定 Mailroom 要运行的程序，只能在配置文件或环境变量中设置。',
  config_env_invalid: '某个 MAILROOM_ 环境变量未知或取值无效。',
  config_file_invalid: '配置文件无法读取，或其中有无效的设置。',
  config_import_malformed: '无法解析 ownCloud/Nextcloud 的 config.php。',
  file_unreadable: '无法读取指定的文件。',
  token_exists: '已存在同名的 API 令牌。',
  secret_key_unreadable: '无法读取用于加密已保存密钥的密钥文件。',
  secret_undecryptable: '无法用数据目录中的密钥解密已保存的密钥。',
  data_dir_insecure: '其他用户可以读取数据目录或其中的文件，Mailroom 因此不启动。',

  // Addresses and message fields
  invalid_address: '邮箱地址无效。',
  header_injection: '邮件头字段中含有换行符或其他控制字符。',
  no_recipient: '没有可发送的收件地址。',
  message_too_large: '邮件或其中某一部分超过了允许的大小。',

  // Templates
  template_syntax: '模板语法有误，请查看所示的行和列。',
  template_unknown_variable: '模板中使用了该模板没有的变量。',
  template_forbidden: '模板中使用了不允许的标签（例如引入文件）。',
  template_too_large: '模板超过了允许的大小。',
  template_render_failed: '无法用给定的数据渲染模板。',
  template_render_timeout: '模板渲染时间过长，已被中止。',
  template_output_too_large: '模板渲染出的内容超过了允许的大小。',
  template_render_budget: '模板的计算量超出了一封邮件允许的范围（范围或列表过大、循环嵌套过多），渲染已被中止。',

  // People, sessions and one-use links
  user_exists: '已存在使用此用户名的用户。',
  last_admin: '此更改会导致没有可用的管理员。',
  unknown_user: '请求中提到的用户不是 Mailroom 用户。',
  invalid_timezone: '时区不是有效的 IANA 时区名称。',
  password_too_weak: '新密码太短或太容易被猜到。',
  login_failed: '用户名或密码错误，或账户已被停用。',
  csrf_token_invalid: '页面的安全令牌已失效，请刷新页面后重试。',
  rate_limited: '此类请求过于频繁，请稍后再试。',
  reset_token_invalid: '提供的令牌无效。',
  reset_token_expired: '密码重置链接已过期。',
  reset_token_used: '密码重置链接已被使用，或已被更新的密码或地址取代。',
  invitation_token_invalid: '提供的令牌无效。',
  invitation_token_expired: '邀请中的设置密码链接已过期。',
  user_disabled: '该账户已停用，不会向其发送密码重置链接。',
  invitation_not_pending: '该用户已有密码或已被停用，没有可发送的邀请。',
  email_change_token_invalid: '确认新邮箱地址的链接无效、已被使用或已被取代。',
  email_change_token_expired: '确认新邮箱地址的链接已过期。',
  unsubscribe_token_invalid: '退订链接不是 Mailroom 发出的。',

  // Events and notifications
  event_type_unknown: 'Mailroom 不认识此事件类型。',
  share_notification_disabled: '管理员已关闭共享相关的邮件。',
  too_many_recipients: '一次发送公开链接的外部地址超过了上限（20 个）。',
  outbox_not_queued: '只有排队中的邮件才能立即发送；发送失败或已取消的邮件请用“重试”，正在发送或已发送的邮件无需再发。',
  outbox_not_retryable: '只有发送失败或已取消的邮件才能重试；这封邮件仍在排队、正在发送或已发送。',
  outbox_not_cancellable: '只有排队中或发送失败的邮件才能取消；这封邮件正在发送、已发送或已取消。',
  batch_too_large: '一次请求中的条目超过了上限（1000 条）。',
  too_many_mails: '该请求需要发送的邮件超过了单次请求的上限（10000 封），未记录任何内容。',

  // Database
  database_unavailable: '无法打开或连接数据库。',
  database_migrations_pending: '数据库还有未执行的迁移，而 MAILROOM_AUTO_MIGRATE 为 false：请先运行 mailroom db:migrate。',
  database_newer: '这个数据库已被更新版本的 Mailroom 升级，请安装该版本或更新的版本。',
  file_exists: '目标文件已存在；如要覆盖，请加上 --force。',
  sqlite_module_mismatch: 'SQLite 驱动（better-sqlite3）是为另一个 Node.js 版本编译的，请在 Mailroom 的安装目录中运行 npm rebuild better-sqlite3。',
  database_not_empty: 'db:copy 的目标数据库中已有数据。',
  database_busy: '有发送进程正在使用该数据库发信，请先停止 Mailroom。',

  // Sending
  smtp_connection_refused: '该服务器地址和端口上没有服务接受连接。',
  smtp_host_not_found: '无法解析服务器名称。',
  smtp_timeout: '服务器没有及时应答。',
  smtp_greeting_refused: '服务器在问候阶段拒绝了连接。',
  smtp_tls_on_plain_port: '在普通 SMTP/STARTTLS 端口上使用了直接 TLS（ssl）。',
  smtp_plain_on_tls_port: '在需要直接 TLS 的端口上使用了明文或 STARTTLS。',
  smtp_starttls_unavailable: '要求使用 STARTTLS，但服务器不支持。',
  smtp_certificate_untrusted: '服务器证书是自签名的，或由不受信任的 CA 签发。',
  smtp_certificate_invalid: '服务器证书与主机名不符，或已过期。',
  smtp_tls_failed: 'TLS 握手失败。',
  smtp_auth_required: '服务器要求身份验证，但身份验证未开启。',
  smtp_auth_failed: '服务器拒绝了用户名或密码。',
  smtp_auth_mechanism_unavailable: '服务器不支持所选的身份验证方式。',
  smtp_sender_rejected: '服务器拒绝了发件人地址。',
  smtp_recipient_rejected: '服务器拒绝了收件人地址。',
  smtp_message_rejected: '服务器拒绝了邮件内容。',
  smtp_connection_lost: '服务器意外关闭了连接。',
  smtp_protocol_error: '服务器的应答不是 SMTP。',
  smtp_all_hosts_failed: '故障转移列表中的所有服务器都失败了。',
  oauth_not_configured: '已选择 XOAUTH2，但缺少令牌相关设置。',
  oauth_token_failed: 'OAuth 令牌端点未能给出访问令牌。',
  oauth_refresh_token_revoked: 'OAuth 刷新令牌已被撤销或已过期。',
  sendmail_not_found: 'sendmail/qmail 程序不存在或无法运行。',
  sendmail_failed: 'sendmail/qmail 程序出错退出。',
};
