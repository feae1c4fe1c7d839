# Casebook 消息目录，简体中文。与 ../en/casebook.ftl 的编号一一对应（有测试检查）。

## 错误

error-case_not_found = 找不到案例“{ $case }”；请用 `casebook case list` 核对案例号
error-org_not_found = 找不到组织“{ $org }”；请先用 `casebook org add` 添加
error-contact_not_found = 找不到联系人“{ $contact }”；请查看 `casebook contact list`
error-quarantine_not_found = 找不到隔离邮件 { $id }；请查看 `casebook quarantine list`
error-entry_not_found = 找不到时间线条目 { $id }；条目编号见 `casebook case show 案例号 --json`
error-case_status_transition_not_allowed = 案例 { $case } 当前状态为 { $from }，不能改为 { $to }（允许的目标状态：{ $allowed }）
error-archive_needs_summary = 归档案例 { $case } 需要书面总结；请用 --summary-file 提供含“问题描述：”和“案例总结：”两节的文件；缺少或为空：{ $missing }
error-resolve_needs_root_cause = 解决案例 { $case } 需要根本原因和解决方案；请用 --summary-file 提供含“根本原因：”和“解决方案：”两节的文件；缺少或为空：{ $missing }
error-merge_needs_confirmation = 将 { $gone } 合并到 { $keep } 需要确认：{ $concerns }；请核对案例号，或加 --force 仍然合并
error-input_unreadable = 无法读取 { $path }；请确认路径存在且可读
error-not_utf8_text = { $path } 不是 UTF-8 文本；请另存为 UTF-8 编码（记事本：另存为，编码选 UTF-8）后重试
error-store_inconsistent = 存储检查发现 { $problems } 个问题（见上）；请从备份恢复或报告问题
error-store_not_found = { $place } 中没有 Casebook 数据；请用 --data-dir 或 CASEBOOK_DATA_DIR 指定数据目录（数据库用 CASEBOOK_DATABASE_URL）；import、org add、case new 等添加数据的命令会创建数据目录
error-data_dir_unusable = 数据目录 { $path } 不是文件夹；请用 --data-dir 或 CASEBOOK_DATA_DIR 指定一个文件夹
error-usage = { $detail }
error-forbidden = 您的角色不允许此操作（{ $action }）；如有需要，请联系管理员
error-internal = 内部错误：{ $detail }
error-invalid_input = 输入无效：{ $detail }
error-conflict = 冲突：{ $detail }
error-quarantine_refused = 无法处理隔离邮件：{ $detail }

## 输入无效

invalid-tag_invalid = 标签“{ $tag }”不可用：标签为一行文字，最多 40 个字符，不能含逗号
invalid-cursor_invalid = 分页游标“{ $cursor }”无效；请从第一页重新开始
invalid-address_invalid = “{ $address }”不是电子邮件地址
invalid-sla_policy_invalid = SLA 策略无效：第 { $line } 行，{ $key }：{ $problem }
invalid-sla_policy_missing = 尚未设置 SLA 策略：请用 `casebook sla policy set FILE` 设置，或用 --policy FILE 指定
invalid-calendar_invalid = 无法读取日历文件：{ $problem }
invalid-entry_stays_internal = 条目 { $id } 是 SLA 条目（{ $kind }），SLA 条目只能内部可见
invalid-view_name_invalid = 保存的视图需要一个不超过 80 个字符的名称
invalid-view_not_found = 您没有编号为 { $id } 的已保存视图
invalid-reply_empty = 回复为空；请写下回复内容
invalid-reply_no_recipient = 此案例没有可发送的客户地址；请先添加参与者
invalid-sender_unknown = 您的账户没有发件地址；请联系管理员添加
invalid-reply_files_too_large = 一封回复的附件合计不能超过 { $limit_mib } MiB；大日志请通过上传链接发送
invalid-reply_unrenderable = 无法将回复写成邮件：{ $detail }
invalid-reply_quarantined = 该消息已进入隔离区，编号 { $id }（{ $code }）；工作人员会进行处理
invalid-note_empty = 备注为空；请给出备注文字，或用 --file 指定文件
invalid-note_text_and_file = 备注文字和 --file 只能给一个
invalid-note_missing = 请给出备注文字（casebook case note 案例号 "文字"）或用 --file 指定文件
invalid-title_empty = 案例需要标题；请用 --title 给出标题
invalid-customer_empty = 案例需要客户；请用 --customer 给出组织名称
invalid-stage_empty = 阶段不能为空；请用 --stage 给出阶段，例如 初次响应
invalid-too_long = { $field }长 { $length } 个字符，超过上限 { $limit }；请缩短
invalid-too_large = { $field }有 { $length } 字节，超过上限 { $limit }；请缩短，或设置 { $setting }
invalid-org_name_empty = 组织需要名称
invalid-bad_address = “{ $value }”不是邮件地址；请给出如 name@example.com 的地址
invalid-bad_domain = “{ $value }”不是邮件域名；请给出如 example.com 的域名
invalid-not_staff = { $contact } 不是本公司员工，不能负责案例；请把此人关联到本公司组织，或给出角色（casebook contact add 地址 --role engineer）
invalid-same_case = { $keep } 和 { $gone } 是同一个案例；请给出两个不同的案例
invalid-split_message_not_found = 案例 { $case } 中没有邮件“{ $message }”；邮件的 message_row 见 `casebook case show { $case } --json`
invalid-split_needs_messages = 请用 --message 指定要移走的邮件（可重复），或加 --empty 新建一个不含邮件的案例
invalid-edit_nothing_given = 没有要修改的内容：请至少给出 --title、--priority、--stage、--product、--version、--problem-definition、--scope 之一
invalid-unknown_customer = 没有组织“{ $customer }”；请先添加（casebook org add "{ $customer }" --domain …），或加 --new-org 现在添加
invalid-assume_zone = --assume-zone “{ $zone }”不是时区；请使用如 Asia/Shanghai 的名称
invalid-summary_repeated = 总结中“{ $section }”一节出现了不止一次；请只保留一节
invalid-summary_not_taken = 改为 { $to } 不需要书面总结（只有归档和解决需要）；请去掉 --summary-file
invalid-not_found = 没有{ $what }“{ $label }”
invalid-entry_email_only = 条目 { $id } 不在你可修改的案例上

## 冲突

conflict-case_changed_meanwhile = 修改期间案例已被改动（原应为 { $expected }）；请重新查看后再试
conflict-merge_into_itself = 案例不能合并到自身
conflict-already_merged = 该案例已合并到 { $survivor }；请改为合并到 { $survivor }
conflict-case_number_taken = 案例号 { $number } 已被使用
conflict-token_taken = 跟踪号 { $token } 已被其他案例使用
conflict-backup_folder_not_empty = { $path } 不是空文件夹；请为备份指定一个新文件夹
conflict-backup_format_unsupported = 不支持备份格式 { $found }；本程序读取格式 { $known }
conflict-backup_schema_differs = 备份的数据结构版本为 { $found }，本程序为 { $known }；请用生成该备份的程序版本恢复
conflict-restore_target_not_empty = 目标存储不是空的；请恢复到新的数据目录（和新的数据库）
conflict-org_needs_name = 组织需要名称
conflict-domain_taken = 域名 { $domain } 已属于组织 { $org }
conflict-contact_merge_into_itself = 联系人不能合并到自身
conflict-contact_ambiguous = 有 { $count } 人名为 { $name }：{ $people }；请用地址或 #编号 指定，或用 `casebook contact merge` 合并
conflict-quarantine_decided = 隔离邮件 { $id } 已处理（{ $resolution }）
conflict-attach_case_not_found = 找不到案例“{ $case }”；请给出案例号、别名或跟踪号
conflict-release_unreadable = 隔离邮件 { $id } 无法放行：{ $reason }；请改为归入某个案例
conflict-release_not_placed = 隔离邮件 { $id } 无法归入案例；请改为手动归入某个案例

## 合并前需确认的情况

concern-other_customer = 两个案例属于不同客户（{ $keep_customer } 和 { $gone_customer }）：合并后 { $gone_customer } 的条目在 { $keep } 中为内部可见
concern-closed_target = { $keep } 的状态为 { $status }

## 句中的名称

thing-case = 案例
thing-organization = 组织
thing-quarantine_entry = 隔离邮件
thing-message_on_the_case = 案例中的邮件
thing-timeline_entry = 时间线条目
thing-contact = 联系人
nobody = 无
empty-value = （空）

## 状态

status-new = 新建
status-in_progress = 处理中
status-waiting_on_customer = 等待客户
status-waiting_on_third_party = 等待第三方
status-archived = 已归档
status-resolved = 已解决
status-cancelled = 已取消
status-reopened = 重新打开

## 案例字段

field-title = 标题
field-priority = 优先级
field-stage = 阶段
field-product = 产品
field-version = 版本
field-problem_definition = 问题定义
field-scope = 问题范围
field-tags = 标签
field-participants = 参与者
field-customer = 客户
field-status = 状态
field-token = 跟踪号
field-created = 创建时间
field-owner = 负责人
field-aliases = 别名
field-split_from = 拆分自
field-merged_into = 已合并到
field-archive_problem = 问题描述
field-archive_summary = 案例总结
field-root_cause = 根本原因
field-resolution = 解决方案

## 总结各节

section-problem = 问题描述
section-summary = 案例总结
section-root_cause = 根本原因
section-resolution = 解决方案

## 时间线条目类型

kind-inbound_email = 收到邮件
kind-outbound_email = 发出邮件
kind-note = 备注
kind-status_change = 状态变更
kind-assignment = 分派
kind-attachment = 附件
kind-field_change = 修改
kind-merge = 合并
kind-split = 拆分
kind-visibility_change = 可见性
kind-sla_warning = SLA 预警
kind-sla_breach = SLA 超时

visibility-public = 公开
visibility-internal = 内部

## 事件

event-opened = 案例创建
event-status_change = { $from } → { $to }
event-note = { $text }
event-assignment = 负责人 { $from } → { $to }
event-field_change = { $field }：{ $from } → { $to }
event-merge-merged_in = 已将 { $case } 合并到本案例
event-merge-merged_in-other = 已将 { $customer } 的 { $case } 合并到本案例；其中 { $count } 个条目在此为内部可见
event-merge-merged_into = 已合并到 { $case }
event-split-split_off = 已从本案例拆分出 { $case }：{ $title }{ $messages ->
    [0] {""}
   *[other] （移走 { $messages } 封邮件）
}
event-split-split_from = 拆分自 { $case }：{ $title }
event-visibility_change = 条目 { $entry } 改为{ $to }（原为{ $from }）
event-attachment = { $filename }（{ $size } 字节）
event-sla_warning = { $rule }：{ $measure }即将达到上限 { $target }
event-sla_breach = { $rule }：{ $measure }已超过上限 { $target }
sla-measure-first_response = 首次响应时间
sla-measure-update = 未向客户更新的时间
sla-measure-idle = 无进展时间
sla-measure-resolution = 解决时间
sla-measure-open = 开启时长

## 修改结果

change-none = 没有修改：{ $case } 已是如此
merge-warning = 注意：{ $customer } 是另一个客户；其 { $count } 个条目现在在 { $case } 中为内部可见

## The command line

caused-by = 原因
invalid-configuration = 配置有误：{ $detail }

## 命令行输出

cli-received = 封邮件已接收
cli-imported = 封已导入
cli-threaded_onto_existing_cases = 封归入已有案例
cli-quarantined = 封已隔离
cli-quarantined_by_reason = 按原因隔离：{ $counts }；用 `casebook quarantine list` 查看
cli-cases = 案例
cli-quarantine = 隔离
cli-nothing_new_every_message_was_already_imported = 没有新内容：所有邮件都已导入过
cli-no_cases = 没有案例
cli-timeline = 时间线
cli-matched_by = 匹配方式
cli-quoted_lines_folded = 行引用内容已折叠
cli-no_organizations = 没有组织
cli-staff = 本公司
cli-no_contacts = 没有联系人
cli-quarantine_is_empty = 隔离区为空
cli-opened_case = 已新建案例
cli-placed_on_case = 已归入案例
cli-already_stored = 已存在
cli-quarantined_2 = 已隔离
cli-received_2 = 已接收
cli-messages_on_cases = 案例中的邮件
cli-duplicates = 重复
cli-raw_messages_stored = 已存储原始邮件
cli-sent = Casebook 发出的邮件
cli-outbox_queued = 发件箱中待发送
cli-checked = 已检查
cli-raw_messages = 封原始邮件
cli-raw_messages_read_back_and_hashed = 封原始邮件已读回并校验
cli-packs_or_files_no_row_refers_to_left_by_an_inter = 个数据包或文件没有数据库记录（中断的导入留下的；`casebook check --remove-orphans` 可删除）
cli-orphan_packs_or_files_deleted = 个无主数据包或文件已删除
cli-the_store_is_consistent = 存储一致
cli-messages = 封邮件
cli-backed_up = 已备份
cli-restored = 已恢复
cli-raw_message = 原始邮件
cli-new_cases = 个新案例
cli-duplicates_count = 封重复
cli-packs = 个数据包
cli-single_files = 个单独文件
cli-mail-subject = 主题
cli-mail-from = 发件人
cli-mail-to = 收件人
cli-mail-date = 时间
cli-mail-message_id = 邮件编号
cli-mail-case = 案例号
cli-mail-token = 跟踪号
cli-mail-auto = 自动回复
cli-manifest = { $tables } 张表共 { $rows } 行，{ $files } 个文件（数据结构版本 { $schema }，来自 { $source }）

## 隔离原因

quarantine-unreadable = 无法作为邮件读取；原始内容已保留：可用 `casebook quarantine show` 查看
quarantine-message_id_collision = 其 Message-ID 已被另一封发件人或内容不同的邮件使用；单独保留，以免复制的 Message-ID 使真实邮件丢失
quarantine-not_a_participant = 邮件指向某个案例，但发件人不是参与者、不是员工，也不在客户的域名中；如发件人属于该案例，请手动归入
quarantine-unknown_sender = 邮件未指向任何案例，且发件人未知；可放行以新建案例，或归入某个案例
quarantine-no_sender = 无法读出发件人地址；如属于某个案例，请手动归入
quarantine-from_intake_address = 邮件由支持邮箱自己的地址发出（可能是循环）；如确属某个案例，请手动归入
quarantine-ambiguous_header = 决定发件人、案例或重复判断的邮件头出现多次或有两种读法，邮件客户端显示的发件人或案例可能与 Casebook 读到的不同；请查看原始邮件后决定是否归入
quarantine-limits-max_message_bytes = 邮件大于 CASEBOOK_MAX_MESSAGE_BYTES 允许的大小；原始内容已保留
quarantine-limits-max_parts = 邮件的 MIME 部分多于 CASEBOOK_MAX_PARTS 允许的数量；原始内容已保留
quarantine-limits-max_depth = 邮件的嵌套深于 CASEBOOK_MAX_DEPTH 允许的层数；原始内容已保留
quarantine-limits-max_header_bytes = 邮件头大于 CASEBOOK_MAX_HEADER_BYTES 允许的大小；原始内容已保留
quarantine-limits-max_decoded_bytes = 邮件解码后大于 CASEBOOK_MAX_DECODED_BYTES 允许的大小；原始内容已保留

invalid-staff_role_outside_staff = 角色 { $role } 只用于本公司员工，而 { $org } 是客户；请把联系人关联到本公司组织，或不给员工角色
cli-bytes = { $count } 字节
role-admin = 管理员
role-manager = 经理
role-engineer = 工程师
role-liaison = 联络人
role-partner_contact = 客户联系人
resolution-attached = 已归入
resolution-released = 已放行
resolution-dismissed = 已驳回
usage-hint = 命令行有误；请查看 `casebook --help`（或 `casebook 命令 --help`）

## 登录：用户、密码、令牌、一次性链接（app::auth）

error-user_not_found = 没有登录名为“{ $login }”的用户；请用 `casebook user list` 查看
error-sign_in_failed = 登录名或密码错误
error-login_taken = 登录名 { $login } 已被占用，请换一个
error-password_too_short = 密码只有 { $length } 个字符，至少需要 { $min } 个
error-token_not_found = 没有编号为 { $id } 的 API 令牌；请用 `casebook token list` 查看
error-link_invalid = 此链接无效：它已被使用、已过期或根本不存在；请重新申请一个
invalid-password_blank = 密码为空；请设置至少 10 个字符的密码（使用 --password-stdin 时写在一行里）
invalid-password_too_long = 密码长 { $length } 字节，超过允许的 { $limit } 字节；请换一个短一些的
invalid-login_blank = 用户需要登录名；请给出邮箱地址或一个简短的名字
invalid-login_unusable = 登录名“{ $login }”过长或含有控制字符；请换一个简短、普通的登录名
invalid-email_required = 登录名 { $login } 不是邮箱地址，因此需要另给一个地址；请用 --email ADDRESS 指定
invalid-org_contradicts_person = { $address } 属于 { $person_org }，而不是 { $org }；请去掉 --org，或改为 --org "{ $person_org }"
invalid-partner_role_in_staff = 角色 { $role } 供合作伙伴的联系人使用，而 { $org } 是厂商自己的员工组织；请给出员工角色，或改为客户组织
invalid-partner_needs_org = 角色为 { $role } 的用户必须属于一个客户组织；请用 --org 指定合作伙伴的组织
invalid-current_password_wrong = 当前密码不正确；请重新输入
invalid-user_disabled = 用户 { $login } 已被停用；请先重新启用
conflict-login_taken = 登录名 { $login } 已被占用，请换一个
conflict-person_has_login = 此人已用登录名 { $login } 登录；每人只能有一个登录名
cli-no_users = 没有用户
cli-disabled = 已停用
cli-no_tokens = 没有 API 令牌
cli-revoked = 已撤销
cli-never_used = 从未使用
cli-last_used = 最近使用
cli-token_shown_once = 令牌只显示这一次，请妥善保存
cli-password_set = 已为 { $login } 设置新密码，其所有会话均已结束
cli-token_revoked = 已撤销 { $login } 的 API 令牌 { $id }（{ $name }）
error-unauthenticated = 您尚未登录，或会话已结束；请登录后重试
error-csrf_rejected = 此表单已过期或来自其他网站；请刷新页面后重试
error-not_found = 此地址没有内容；请检查链接，或返回案例队列
error-bad_request = 无法读取请求：{ $detail }
error-too_large = 请求超过服务器接受的 { $limit_mib } MiB；大日志请通过上传链接发送

## 账号：一次性链接邮件、双重验证（app::accounts）

invalid-reset_who_blank = 请填写您的登录名或邮箱地址以获取重置链接
invalid-second_factor_required = { $login } 使用双重验证登录；请在登录页面登录，它会要求输入验证码
invalid-second_factor_wrong = 验证码不正确；请输入身份验证器应用当前显示的 6 位数字，或一个恢复码
invalid-second_factor_expired = 此次登录等待过久或错误次数过多；请重新用密码登录
invalid-second_factor_staff_only = 双重验证仅用于员工账号；合作伙伴使用密码登录
invalid-second_factor_already_on = 双重验证已开启；如需换到另一台设备，请先用验证码关闭它
invalid-second_factor_not_started = 没有等待验证码的设置；请重新开始设置双重验证
mail-invite-subject = 您的 Casebook 账号
mail-invite-body =
    { $name }，您好：

    我们已在支持案例系统 Casebook 中为您创建账号，登录名为 { $login }。

    请通过以下链接设置密码（链接仅可使用一次，{ $hours } 小时内有效）：
    { $link }

    如果您没有预期收到此邮件，请忽略。
mail-sla-warning-subject = [SLA 预警：{ $rule }]
mail-sla-warning-body =
    { $case }（{ $customer }，{ $priority }，{ $status }）即将超过 SLA 策略的时限。

    规则：{ $rule }，{ $measure }，上限 { $target }
    预警时间：{ $due }
    标题：{ $title }

    打开案例：{ $link }

    此邮件由 Casebook 自动发送；回复将记录到案例中。
mail-sla-breach-subject = [SLA 超时：{ $rule }]
mail-sla-breach-body =
    { $case }（{ $customer }，{ $priority }，{ $status }）已超过 SLA 策略的时限。

    规则：{ $rule }，{ $measure }，上限 { $target }
    超时时间：{ $due }
    标题：{ $title }

    打开案例：{ $link }

    此邮件由 Casebook 自动发送；回复将记录到案例中。
mail-reset-subject = 重置您的 Casebook 密码
mail-reset-body =
    { $name }，您好：

    有人（可能是您本人）申请重置 Casebook 登录名 { $login } 的密码。

    请通过以下链接设置新密码（链接仅可使用一次，{ $hours } 小时内有效）：
    { $link }

    如果这不是您本人的操作，请忽略此邮件，您的密码不会改变。

## SLA
span-dh = { $d }天{ $h }小时
span-hm = { $h }小时{ $m }分
span-m = { $m }分钟
cli-sla = SLA 计时（策略 { $version }）
sla-policy-set = SLA 策略 { $version } 已生效；所有案例的计时将重新计算。
sla-policy-header = SLA 策略 { $version }，由 { $by } 于 { $at } 设置
sla-policy-calendar = 日历：{ $zone }，{ $hours }；节假日年份 { $years }
sla-calendar-missing = 注意：日历中没有 { $years } 年的节假日；请导入（casebook calendar import FILE.ics --as holidays）或引用包含这些年份的日历
sla-sweep-done = 已计算 { $evaluated } 个案例，执行 { $fired } 次触发
sla-sweep-skipped = 另一实例正在计算计时；本次未执行
sla-level-warning = 预警
sla-level-breach = 超时
sla-breached = 已超时
sla-at-risk = 有风险
sla-clock-running = 计时中
sla-clock-paused = 已暂停
sla-clock-stopped = 已停止
sla-clock-met = 已达成
sla-due-in = 到期 { $due }（剩余 { $left }）
sla-overdue = 到期 { $due }（已超 { $late }）
sla-no-policy = 尚未设置 SLA 策略；请用 `casebook sla policy set FILE` 设置
sla-status-breached = 已超时：{ $count }
sla-status-at-risk = 有风险：{ $count }
sla-replay-none = 该策略不会触发任何事件
sla-replay-totals = 已回放 { $cases } 个案例，共 { $firings } 次触发
sla-replay-rule = 预警 { $warning } 次，超时 { $breach } 次，涉及 { $cases } 个案例
calendar-imported-holiday = 读取节假日 { $days } 天（{ $first } 至 { $last }），新增或变更 { $added } 天；所有案例的计时将重新计算
calendar-imported-workday = 读取调休工作日 { $days } 天（{ $first } 至 { $last }），新增或变更 { $added } 天；所有案例的计时将重新计算

## web：工作台、合作伙伴门户和服务器
serve-listening = Casebook 已在 { $url } 提供服务（监听 { $listen }）。按 Ctrl+C 停止。
serve-demo-no-seed = 未找到示例案例文件：演示改用 Casebook 自带的演示邮件往来（可用 --seed FILE 指定其他文件）。
serve-demo-once = 请保存这些密码：它们不以明文形式保存在任何地方。可在“设置”中修改。
web-skip-to-content = 跳到正文
web-nav-label = 主导航
web-nav-queue = 案例队列
web-nav-my-cases = 本组织的案例
web-nav-new-case = 新建案例
web-nav-quarantine = 隔离区
web-nav-organizations = 组织
web-nav-contacts = 联系人
web-nav-admin = 用户
web-sign-out = 退出登录
web-save = 保存
web-add = 添加
web-remove = 移除
web-live-on = 实时：新邮件和备注会自动出现在这里，无需刷新。
web-live-off = 实时更新已暂停，正在重新连接…
web-signin-title = 登录
web-signin-login = 登录名（邮箱地址）
web-signin-password = 密码
web-signin-submit = 登录
web-error-title = 出错了
web-error-home = 返回案例队列
web-queue-by-status = 按状态查看案例
web-queue-all = 全部
web-queue-any = 不限
web-queue-search = 搜索案例
web-queue-search-hint = 案例号、跟踪号、标题或客户
web-queue-owner = 负责人
web-queue-owner-any = 任何人
web-queue-owner-mine = 我的
web-queue-owner-unassigned = 未分配
web-queue-sort = 排序
web-queue-sort-updated = 最近更新
web-queue-sort-created = 最新创建
web-queue-sort-priority = 优先级
web-queue-sort-due = SLA 到期优先
web-queue-filter = 筛选
web-queue-empty = 没有符合这些条件的案例。
web-queue-next = 下一页
web-queue-keys = 快捷键：j / k 上下移动，Enter 打开，/ 搜索。
web-view-name = 视图名称
web-view-save = 保存视图
web-view-delete = 删除视图
web-col-number = 案例
web-col-updated = 更新时间
web-col-due = SLA 到期
web-nav-sla = SLA
web-sla-by-owner = 按负责人
web-sla-none = 没有案例。
web-sla-clocks = 计时
web-sla-breached-heading = 已超时
web-sla-at-risk-heading = 有风险
web-sla-intro = 已超过或即将超过 SLA 时限的未关闭案例，最紧急的在前。计时遵循当前策略；案例等待客户时计时暂停。
web-case-sla = SLA 计时
web-sla-left = 剩余 { $span }
web-sla-late = 已超 { $span }
web-sla-policy = 策略
web-col-name = 名称
web-col-addresses = 地址
web-col-role = 角色
web-col-state = 状态
web-col-actions = 操作
web-col-from = 发件人
web-col-subject = 主题
web-col-reason = 原因
web-col-received = 收到时间
web-col-decision = 处理结果
web-bulk-select = 选择
web-bulk-title = 对所选案例
web-bulk-action = 操作
web-bulk-assign = 分配给
web-bulk-status = 设置状态
web-bulk-priority = 设置优先级
web-bulk-tag = 添加标签
web-bulk-value = 值
web-bulk-apply = 执行
web-case-timeline = 时间线
web-case-details = 详情
web-case-archive-summary = 归档总结
web-case-resolution = 解决记录
web-case-status = 状态
web-case-no-transitions = 此案例的状态无法从这里更改。
web-case-status-to = 将状态改为
web-case-summary = 总结（归档：问题描述 / 案例总结；解决：根本原因 / 解决方案）
web-case-summary-hint = 问题描述：…  案例总结：…
web-case-status-apply = 更改状态
web-case-edit = 编辑
web-case-assign = 分配
web-case-assign-hint = 地址或姓名
web-case-participant-add = 添加参与人（邮箱地址）
web-case-merge-split = 合并与拆分
web-case-merge-from = 将此案例合并到本案例
web-case-merge-force = 即使跨客户或目标案例已关闭也合并
web-case-merge = 合并
web-case-split-title = 新案例的标题
web-case-split-messages = 要移走的邮件（行号，用逗号分隔）
web-case-split-empty = 新建案例，不移动任何邮件
web-case-split = 拆分
web-entry-make-public = 设为公开
web-entry-make-internal = 设为内部
web-entry-to = 收件人：
web-entry-quoted = 显示引用的历史邮件
web-entry-original = 原始邮件（已净化）
web-entry-no-html = 此邮件没有 HTML 部分。
web-entry-images-blocked = 已阻止远程图片。
web-entry-images-show = 显示图片
web-composer-title = 撰写
web-composer-reply = 公开回复
web-composer-cc = 抄送（多个地址用逗号分隔）
web-composer-files = 附件
web-composer-send = 发送回复
web-composer-note = 内部备注（客户永远看不到）
web-composer-add-note = 添加备注
web-composer-templates = 模板
web-composer-collision = { "{names}" } 也正在此案例上撰写。
web-outbox-queued = 等待发送
web-outbox-sending = 正在发送
web-outbox-sent = 已发送
web-outbox-failed = 发送失败
web-notice-saved = 已保存。
web-notice-password-changed = 密码已修改，您的其他会话均已结束。
web-notice-bulk = 已更改 { $n } 个案例，{ $m } 个被拒绝。
web-notice-case-opened = 案例已创建。
web-notice-reply-queued = 回复已记录在案例上，并已排队等待发送。
web-notice-note-added = 备注已添加。
web-notice-status-changed = 状态已更改。
web-notice-merged = 案例已合并。
web-notice-split = 所选邮件已拆分到这个新案例。
web-new-case-text = 描述问题
web-new-case-submit = 创建案例
web-quarantine-empty = 隔离区中没有等待处理的邮件。
web-quarantine-show-all = 同时显示已处理的条目
web-quarantine-open-only = 只显示等待处理的条目
web-quarantine-headers = 邮件头
web-quarantine-text = 正文
web-quarantine-attach-to = 归入案例（案例号或跟踪号）
web-quarantine-attach = 归入
web-quarantine-release = 放行（按未被隔离时的方式归档）
web-quarantine-dismiss = 搁置（保留邮件，不再等待处理）
web-quarantine-note = 备注
web-quarantine-resolution-attached = 已归入案例
web-quarantine-resolution-released = 已放行
web-quarantine-resolution-dismissed = 已搁置
web-org-kind = 类型
web-org-staff = 厂商员工
web-org-customer = 客户
web-org-domains = 域名
web-org-cases = 案例
web-users = 用户
web-tokens = API 令牌
web-admin-log = 管理日志
web-user-add = 添加用户
web-user-active = 启用中
web-user-disabled = 已停用
web-user-disable = 停用
web-user-enable = 启用
web-token-create = 新建令牌
web-token-once = 此令牌只显示这一次，请复制：
web-token-revoke = 撤销
web-token-revoked = 已撤销
web-settings = 设置
web-settings-lang = 语言
web-settings-zone = 时区
web-settings-password = 修改密码
web-settings-password-old = 当前密码
web-settings-password-new = 新密码（至少 10 个字符）
web-template-initial = 初次响应（问题定义与范围）
web-template-initial-text =
    您好：

    感谢您联系我们。根据您的需求，我谨在此阐述我们双方针对这个问题所涉及的范围界定：

    问题定义：
    【什么功能失败，在哪个系统和版本上，从何时开始】

    问题范围：
    我们将协助您分析处理上述问题，并对定义的问题给予最大的技术支持。如果问题得到解决，或问题属于产品设计的行为，或问题涉及第三方，我们将考虑关闭案例。如果存在多个问题，我们将为每个问题分别建立案例。

    如果您对以上的问题范围界定有任何异议，请尽快告知。

    此致
web-template-logs = 日志收集请求
web-template-logs-text =
    您好：

    为分析此问题，我们需要受影响机器的日志。请告知问题最近一次发生的时间，使用附件中的工具收集日志，并通过我们随本案例发送的安全上传链接上传（无需账号和密码）。

    谢谢
web-template-archive = 归档总结
web-template-archive-text =
    问题描述：
    ----
    【客户反馈的问题】

    案例总结：
    ----
    【做了哪些测试、发现了什么；为什么现在归档】
web-template-resolution = 解决记录
web-template-resolution-text =
    根本原因：
    ----
    【找到的原因及证据】

    解决方案：
    ----
    【修复或规避方法，以及如何验证】

## demo

demo-loaded = 已载入演示数据：{ $cases } 个案例；可用以下登录名登录（密码仅显示这一次）
demo-not_loaded = 存储中已有案例或用户，未载入演示数据；请用空的数据目录或数据库启动演示
demo-login = { $login }（{ $role }，{ $org }）：{ $password }
invalid-zone_unknown = “{ $zone }”不是时区；请选择 Asia/Shanghai 或 UTC 这样的时区
invalid-listen = 无法监听 { $address }（{ $detail }）；请用 --listen 换一个地址或端口
invalid-filter_staff_only = { $filter } 筛选仅供厂商员工使用；请去掉它
web-notice-password-set = 密码已设置，请用它登录。
web-link-invite = 邀请链接
web-link-reset = 密码重置链接
web-link-welcome = 欢迎使用 Casebook：请设置您的密码
web-link-reset-title = 设置新密码
web-link-submit = 设置密码
web-link-once = 该用户没有邮箱地址，无法通过邮件发送链接。此链接只显示这一次，且只能使用一次，请亲自交给该用户：
web-col-org = 组织
web-col-names = 姓名
web-contact-cases = 参与的案例
web-contact-no-cases = 没有案例将此联系人列为参与者。
web-forgot-link = 忘记密码？
web-forgot-title = 重置密码
web-forgot-ask = 请填写您的登录名或邮箱地址。如果它属于一个有邮箱地址的账号，我们会向该地址发送设置新密码的链接（仅可使用一次，一小时内有效）。
web-forgot-submit = 发送重置链接
web-forgot-sent = 如果该登录名或邮箱地址属于某个账号，重置链接已在发送途中。请查看您的邮箱（包括垃圾邮件文件夹）。
web-forgot-back = 返回登录
web-link-mailed = 链接已排入发件队列，将发送到 { $address }。
web-notice-second-factor-off = 双重验证已关闭：您只需密码即可登录。
web-notice-second-factor-reset = 该用户的双重验证已关闭；其可用密码登录并重新设置。
web-col-2fa = 双重验证
web-2fa-on-short = 已开启
web-2fa-off-short = 未开启
web-2fa-reset = 关闭
web-2fa-title = 输入验证码
web-2fa-ask = 您的账号已开启双重验证。请打开身份验证器应用，输入 Casebook 的 6 位验证码，或一个恢复码。
web-2fa-code = 验证码
web-2fa-restart = 重新用密码登录
web-2fa-heading = 双重验证（身份验证器应用）
web-2fa-off = 未开启。开启后，登录需要密码和手机上身份验证器应用显示的验证码，仅凭被盗的密码无法登录。
web-2fa-start = 设置双重验证
web-2fa-scan = 请用身份验证器应用扫描此二维码（或手动输入下面的密钥），然后输入应用显示的验证码完成设置。
web-2fa-qr = 身份验证器应用的二维码
web-2fa-secret = 密钥：
web-2fa-confirm = 开启
web-2fa-enabled = 双重验证已开启。您的其他会话已结束。
web-2fa-recovery-once = 请妥善保存这些恢复码：手机丢失时，每个恢复码可代替验证码使用一次。它们只显示这一次。
web-2fa-on = 已开启：登录时需要输入验证码。
web-2fa-recovery-left = 剩余恢复码：
web-2fa-disable = 关闭双重验证
invalid-outbox_not_found = 没有编号为 { $id } 的外发邮件；用 `casebook outbox list` 查看
invalid-outbox_not_failed = 外发邮件 { $id } 的状态是 { $state }，不是“失败”；只有失败的邮件可以重新发送
mail-ack-from = 技术支持
mail-ack-body =
    感谢您的来信。我们已为此建立案例 { $case }：
    { $title }

    工程师会尽快回复您。再次就此问题来信时，请保留本邮件的主题（直接回复本邮件），
    以便您的邮件归入该案例。

    此确认邮件由系统自动发送。
mail-notify-subject = [{ $case }] { $sender } 来信：{ $subject }
mail-notify-moved = 该邮件已将案例状态改为“{ $status }”。
mail-notify-linked = 该邮件所回复的案例已解决太久：系统为它新建了此案例，并关联到原案例。
mail-notify-cancelled = 该案例已取消，状态未变。请决定是否重新打开。
mail-notify-body =
    { $sender } 在 { $case }（{ $title }）上来信：
    { $subject }

    { $what }

    打开案例：{ $link }

    此邮件由 Casebook 自动发送。可在设置中关闭此类通知。
serve-mail-listening = 正在通过 { $protocol } 接收邮件：{ $listen }
cli-reply-queued = 已加入发件队列，编号 { $id }（Message-ID <{ $message_id }>）。
cli-outbox-empty = 没有外发邮件。
cli-outbox-retried = 外发邮件 { $id } 已重新排队。
outbox-state-queued = 排队中
outbox-state-sending = 发送中
outbox-state-sent = 已发送
outbox-state-failed = 失败
cli-mail-smtp = SMTP 服务器
cli-mail-no-smtp = 未配置（CASEBOOK_SMTP_URL）：邮件留在发件队列中
cli-mail-outbox = 发件队列
cli-mail-ok = 正在收取
cli-mail-failing = 无法连接
cli-mail-fetched = 已收取 { $count } 封
cli-mail-bouncing = 退信
cli-mail-held = 发往 { $address } 的 { $count } 封自动邮件因每小时上限被暂缓
invalid-reply_text_and_file = 请用 --text 或 --file 给出回复内容，不要同时使用
invalid-reply_missing = 请用 --text 或 --file 给出回复内容
cli-mail-authentication = 发件人认证
mail-assigned-subject = [{ $case }] 已分配给您：{ $title }
mail-assigned-body =
    { $by } 将案例 { $case }（{ $customer }）分配给了您：
    { $title }

    打开案例：{ $link }

    此邮件由 Casebook 自动发送。可在设置中关闭此类通知。
invalid-notice_unknown = “{ $kind }”不是通知类型；可用的类型为 { $kinds }
cli-notices-on = 开启：
cli-notices-off = 关闭：
web-nav-outbox = 发件箱
web-outbox-filter = 显示
web-outbox-all = 全部
web-outbox-retry = 重新发送
web-outbox-empty = 这里没有待发或已发的邮件。
web-col-purpose = 类型
web-col-recipients = 收件人
web-col-queued = 排队时间
web-col-sent = 发送时间
web-col-attempts = 尝试次数
web-col-error = 错误或退信
web-outbox-purpose-case = 回复
web-outbox-purpose-invite = 邀请
web-outbox-purpose-reset = 重置密码
web-outbox-purpose-sla = SLA 提醒
web-outbox-purpose-ack = 受理确认
web-outbox-purpose-notify = 员工通知
web-mailnotices-heading = 邮件通知
web-mailnotices-legend = 以下情况给我发邮件
web-mailnotice-customer_mail = 客户在我负责的案例上来信
web-mailnotice-assignment = 有案例分配给我
web-mailnotice-upload = 我的案例上的上传已完成
web-mailnotice-sla = 我的案例的 SLA 时钟即将超时或已超时
