# Casebook's message catalog, English. Every sentence a person reads comes from here or from
# ../zh-CN/casebook.ftl; both files hold the same ids (a test checks). Sentences start lower-case
# and have no trailing period; they say what was wrong and what to do, with the values involved.

## Errors, by code (app::ErrorCode)

error-case_not_found = no case '{ $case }'; check the number with `casebook case list`
error-org_not_found = no organization '{ $org }'; add it with `casebook org add`
error-contact_not_found = no contact '{ $contact }'; see `casebook contact list`
error-quarantine_not_found = no quarantine entry { $id }; see `casebook quarantine list`
error-entry_not_found = no timeline entry { $id }; the ids are in `casebook case show NUMBER --json`
error-case_status_transition_not_allowed = case { $case } is { $from } and cannot become { $to } (allowed from { $from }: { $allowed })
error-archive_needs_summary = archiving case { $case } needs a written summary; give --summary-file with sections '问题描述：' (problem description) and '案例总结：' (case summary); missing or empty: { $missing }
error-resolve_needs_root_cause = resolving case { $case } needs a root cause and a resolution; give --summary-file with sections '根本原因：' (root cause) and '解决方案：' (resolution); missing or empty: { $missing }
error-merge_needs_confirmation = merging { $gone } into { $keep } needs confirmation: { $concerns }; check the numbers, or give --force to merge anyway
error-input_unreadable = cannot read { $path }; check that it exists and is readable
error-not_utf8_text = { $path } is not UTF-8 text; save it as UTF-8 (in Notepad: Save as, Encoding UTF-8) and try again
error-store_inconsistent = the store check found { $problems } problem(s), listed above; restore from a backup or report them
error-store_not_found = no Casebook store in { $place }; choose the data directory with --data-dir or CASEBOOK_DATA_DIR (and the database with CASEBOOK_DATABASE_URL); commands that add data, such as import, org add and case new, create one
error-data_dir_unusable = the data directory { $path } is not a folder; give a folder with --data-dir or CASEBOOK_DATA_DIR
error-usage = { $detail }
error-forbidden = your role does not allow this ({ $action }); ask an administrator if you need it
error-internal = internal error: { $detail }
error-invalid_input = { $detail }
error-conflict = { $detail }
error-quarantine_refused = { $detail }

## Invalid input, by reason (details.reason)

invalid-tag_invalid = the tag '{ $tag }' is not usable: a tag is one line of at most 40 characters without commas
invalid-cursor_invalid = the page cursor '{ $cursor }' is not one Casebook made; start again from the first page
invalid-address_invalid = '{ $address }' is not an email address
invalid-sla_policy_invalid = the SLA policy is not valid: line { $line }, { $key }: { $problem }
invalid-sla_policy_missing = no SLA policy is set: set one with `casebook sla policy set FILE`, or give one with --policy FILE
invalid-calendar_invalid = the calendar file cannot be read: { $problem }
invalid-entry_stays_internal = entry { $id } is an SLA entry ({ $kind }); SLA entries stay internal
invalid-view_name_invalid = a saved view needs a name of at most 80 characters
invalid-view_not_found = you have no saved view { $id }
invalid-reply_empty = the reply is empty; write its text
invalid-reply_no_recipient = the case has no customer address to write to; add a participant first
invalid-sender_unknown = your account has no email address to send from; ask an administrator to add one
invalid-reply_files_too_large = the files of one reply may hold { $limit_mib } MiB in all; send large logs through an upload link
invalid-reply_unrenderable = the reply could not be written as a message: { $detail }
invalid-reply_quarantined = the message was held in quarantine as entry { $id } ({ $code }); a staff member will look at it
invalid-note_empty = the note is empty; give its text, or --file with the text
invalid-note_text_and_file = give the note as text or with --file, not both
invalid-note_missing = give the note as text (casebook case note NUMBER "text") or with --file
invalid-title_empty = a case needs a title; give --title with some text
invalid-customer_empty = a case needs a customer; give --customer with an organization's name
invalid-stage_empty = the stage cannot be empty; give --stage with a label such as 初次响应
invalid-too_long = { $field } is { $length } characters long, more than the { $limit } allowed; shorten it
invalid-too_large = { $field } is { $length } bytes, more than the { $limit } allowed; shorten it or set { $setting }
invalid-org_name_empty = an organization needs a name
invalid-bad_address = '{ $value }' is not an email address; give one such as name@example.com
invalid-bad_domain = '{ $value }' is not a mail domain; give one such as example.com
invalid-not_staff = { $contact } is not staff, so cannot own a case; link them to the staff organization or give them a role (casebook contact add ADDRESS --role engineer)
invalid-same_case = { $keep } and { $gone } are the same case; name two different cases
invalid-split_message_not_found = case { $case } has no message '{ $message }'; the messages are listed with their message_row in `casebook case show { $case } --json`
invalid-split_needs_messages = name the messages to move with --message (repeat it for more), or give --empty to open the new case without any
invalid-edit_nothing_given = nothing to change: give at least one of --title, --priority, --stage, --product, --version, --problem-definition, --scope
invalid-unknown_customer = no organization '{ $customer }'; add it first (casebook org add "{ $customer }" --domain …) or give --new-org to add it now
invalid-assume_zone = --assume-zone '{ $zone }' is not a time zone; use a name such as Asia/Shanghai
invalid-summary_repeated = the section { $section } appears more than once in the summary; keep one
invalid-summary_not_taken = a change to { $to } takes no written summary (only archived and resolved do); leave out --summary-file
invalid-not_found = no { $what } '{ $label }'
invalid-entry_email_only = entry { $id } is not on any case you may change

## Conflicts, by reason (details.reason)

conflict-case_changed_meanwhile = the case changed while this change was made (it was expected to be { $expected }); look at it again and retry
conflict-merge_into_itself = a case cannot be merged into itself
conflict-already_merged = that case was already merged into { $survivor }; merge into { $survivor } instead
conflict-case_number_taken = the case number { $number } is taken
conflict-token_taken = the tracking token { $token } is taken by another case
conflict-backup_folder_not_empty = { $path } is not empty; give a new folder for the backup
conflict-backup_format_unsupported = backup format { $found } is not supported; this casebook reads format { $known }
conflict-backup_schema_differs = the backup has schema version { $found }, this casebook { $known }; restore with the casebook that made it
conflict-restore_target_not_empty = the target store is not empty; restore into a new data directory (and a new database)
conflict-org_needs_name = an organization needs a name
conflict-domain_taken = the domain { $domain } already belongs to the organization { $org }
conflict-contact_merge_into_itself = a person cannot be merged into itself
conflict-contact_ambiguous = { $count } people are named { $name }: { $people }; name one by address or #id, or merge them with `casebook contact merge`
conflict-quarantine_decided = quarantine entry { $id } was already { $resolution }
conflict-attach_case_not_found = no case '{ $case }'; give a case number, an alias or a token
conflict-release_unreadable = quarantine entry { $id } cannot be released: { $reason }; attach it to a case instead
conflict-release_not_placed = quarantine entry { $id } could not be placed; attach it to a case instead

## Merge concerns

concern-other_customer = they belong to different customers ({ $keep_customer } and { $gone_customer }): after the merge the entries of { $gone_customer } are internal on { $keep }
concern-closed_target = { $keep } is { $status }

## Names of things in sentences

thing-case = case
thing-organization = organization
thing-quarantine_entry = quarantine entry
thing-message_on_the_case = message on the case
thing-timeline_entry = timeline entry
thing-contact = contact
nobody = nobody
empty-value = (empty)

## Statuses

status-new = new
status-in_progress = in progress
status-waiting_on_customer = waiting on customer
status-waiting_on_third_party = waiting on third party
status-archived = archived
status-resolved = resolved
status-cancelled = cancelled
status-reopened = reopened

## Case fields

field-title = title
field-priority = priority
field-stage = stage
field-product = product
field-version = version
field-problem_definition = problem definition
field-scope = scope
field-tags = tags
field-participants = participants
field-customer = customer
field-status = status
field-token = token
field-created = created
field-owner = owner
field-aliases = aliases
field-split_from = split from
field-merged_into = merged into
field-archive_problem = problem description
field-archive_summary = case summary
field-root_cause = root cause
field-resolution = resolution

## Summary sections (in refusals)

section-problem = 问题描述 (problem description)
section-summary = 案例总结 (case summary)
section-root_cause = 根本原因 (root cause)
section-resolution = 解决方案 (resolution)

## Timeline entry kinds

kind-inbound_email = email in
kind-outbound_email = email out
kind-note = note
kind-status_change = status
kind-assignment = assignment
kind-attachment = attachment
kind-field_change = change
kind-merge = merge
kind-split = split
kind-visibility_change = visibility
kind-sla_warning = SLA warning
kind-sla_breach = SLA breach

visibility-public = public
visibility-internal = internal

## Events, as the timeline tells them

event-opened = case opened
event-status_change = { $from } → { $to }
event-note = { $text }
event-assignment = owner { $from } → { $to }
event-field_change = { $field }: { $from } → { $to }
event-merge-merged_in = merged { $case } into this case
event-merge-merged_in-other = merged { $case } of { $customer } into this case; { $count } of its entries are internal here
event-merge-merged_into = merged into { $case }
event-split-split_off = split { $case } off this case: { $title }{ $messages ->
    [0] {""}
    [one] {" "}(1 message moved)
   *[other] {" "}({ $messages } messages moved)
}
event-split-split_from = split off { $case }: { $title }
event-visibility_change = entry { $entry } made { $to } (was { $from })
event-attachment = { $filename } ({ $size } bytes)
event-sla_warning = { $rule }: { $measure } nears its limit of { $target }
event-sla_breach = { $rule }: { $measure } passed its limit of { $target }
sla-measure-first_response = time to first response
sla-measure-update = time without an update to the customer
sla-measure-idle = time without activity
sla-measure-resolution = time to resolution
sla-measure-open = time open

## Change results (case note, status, edit, assign, merge, split, entry)

change-none = nothing changed: { $case } already had that
merge-warning = warning: { $customer } is another customer; { $count ->
    [one] 1 of its entries is
   *[other] { $count } of its entries are
} now internal on { $case }

## The command line

caused-by = caused by
invalid-configuration = { $detail }

## Command-line output

cli-received = received
cli-imported = imported
cli-threaded_onto_existing_cases = threaded onto existing cases
cli-quarantined = quarantined
cli-quarantined_by_reason = quarantined by reason: { $counts }; list them with `casebook quarantine list`
cli-cases = cases
cli-quarantine = quarantine
cli-nothing_new_every_message_was_already_imported = nothing new: every message was already imported
cli-no_cases = no cases
cli-timeline = timeline
cli-matched_by = matched by
cli-quoted_lines_folded = quoted lines folded
cli-no_organizations = no organizations
cli-staff = staff
cli-no_contacts = no contacts
cli-quarantine_is_empty = quarantine is empty
cli-opened_case = opened case
cli-placed_on_case = placed on case
cli-already_stored = already stored
cli-quarantined_2 = quarantined
cli-received_2 = received
cli-messages_on_cases = messages on cases
cli-duplicates = duplicates
cli-raw_messages_stored = raw messages stored
cli-sent = written by Casebook (sent)
cli-outbox_queued = waiting in the outbox
cli-checked = checked
cli-raw_messages = raw messages
cli-raw_messages_read_back_and_hashed = raw messages read back and hashed
cli-packs_or_files_no_row_refers_to_left_by_an_inter = packs or files no row refers to (left by an interrupted import; `casebook check --remove-orphans` deletes them)
cli-orphan_packs_or_files_deleted = orphan packs or files deleted
cli-the_store_is_consistent = the store is consistent
cli-messages = messages
cli-backed_up = backed up
cli-restored = restored
cli-raw_message = raw message
cli-new_cases = { $count ->
    [one] new case
   *[other] new cases
}
cli-duplicates_count = { $count ->
    [one] duplicate
   *[other] duplicates
}
cli-packs = { $count ->
    [one] pack
   *[other] packs
}
cli-single_files = { $count ->
    [one] single file
   *[other] single files
}
cli-mail-subject = subject
cli-mail-from = from
cli-mail-to = to
cli-mail-date = date
cli-mail-message_id = message-id
cli-mail-case = case
cli-mail-token = token
cli-mail-auto = auto
cli-manifest = { $rows } rows in { $tables } tables, { $files } files (schema { $schema }, from { $source })

## Quarantine reasons (the stored reason has the values; these say it in the reader's language)

quarantine-unreadable = the message cannot be read as mail; the raw bytes are kept: look at it with `casebook quarantine show`
quarantine-message_id_collision = its Message-ID is already stored with another sender or content; kept apart so that a copied Message-ID cannot make real mail vanish
quarantine-not_a_participant = it names a case, but the sender is not a participant, not staff and not in the customer's domains; attach it to the case if the sender belongs
quarantine-unknown_sender = it names no case and comes from an unknown sender; release it to open a case, or attach it to one
quarantine-no_sender = no sender address can be read from it; attach it to a case if it belongs
quarantine-from_intake_address = it was sent from the support mailbox's own address (a loop); attach it if it belongs
quarantine-ambiguous_header = a header that decides the sender, the case or the duplicate check appears more than once or reads two ways, so a mail client may show another sender or case than Casebook would read; look at the raw message and attach it if it belongs
quarantine-limits-max_message_bytes = the message is larger than CASEBOOK_MAX_MESSAGE_BYTES allows; the raw bytes are kept
quarantine-limits-max_parts = the message has more MIME parts than CASEBOOK_MAX_PARTS allows; the raw bytes are kept
quarantine-limits-max_depth = the message nests deeper than CASEBOOK_MAX_DEPTH allows; the raw bytes are kept
quarantine-limits-max_header_bytes = the message's header is larger than CASEBOOK_MAX_HEADER_BYTES allows; the raw bytes are kept
quarantine-limits-max_decoded_bytes = the message decodes to more than CASEBOOK_MAX_DECODED_BYTES allows; the raw bytes are kept

invalid-staff_role_outside_staff = the role { $role } is for the vendor's staff, and { $org } is a customer; give the contact a staff organization, or no staff role
cli-bytes = { $count ->
    [one] 1 byte
   *[other] { $count } bytes
}
role-admin = admin
role-manager = manager
role-engineer = engineer
role-liaison = liaison
role-partner_contact = partner contact
resolution-attached = attached
resolution-released = released
resolution-dismissed = dismissed
usage-hint = the command line does not fit; see `casebook --help` (or `casebook COMMAND --help`)

## Signing in: users, passwords, tokens, one-time links (app::auth)

error-user_not_found = no user '{ $login }'; see `casebook user list`
error-sign_in_failed = the login or the password is wrong
error-login_taken = the login { $login } is taken; choose another
error-password_too_short = the password has { $length } characters; it needs at least { $min }
error-token_not_found = no API token { $id }; see `casebook token list`
error-link_invalid = this link is not valid: it was used already, it expired, or it never existed; ask for a new one
invalid-password_blank = the password is blank; give one of at least 10 characters (with --password-stdin, on one line)
invalid-password_too_long = the password is { $length } bytes long, more than the { $limit } allowed; choose a shorter one
invalid-login_blank = a user needs a login; give an address or a short name
invalid-login_unusable = the login '{ $login }' is too long or holds control characters; choose a shorter, plain one
invalid-email_required = the login { $login } is not an address, so the user needs one; give --email ADDRESS
invalid-org_contradicts_person = { $address } belongs to { $person_org }, not { $org }; leave out --org, or give --org "{ $person_org }"
invalid-partner_role_in_staff = the role { $role } is for partners' contacts, and { $org } is the vendor's staff organization; give a staff role, or a customer organization
invalid-partner_needs_org = a user with the role { $role } needs a customer organization; give --org with the partner's organization
invalid-current_password_wrong = the current password is wrong; type it again
invalid-user_disabled = the user { $login } is disabled; enable them first
conflict-login_taken = the login { $login } is taken; choose another
conflict-person_has_login = this person already signs in as { $login }; a person has one login
cli-no_users = no users
cli-disabled = disabled
cli-no_tokens = no API tokens
cli-revoked = revoked
cli-never_used = never used
cli-last_used = last used
cli-token_shown_once = the token is shown only this once; keep it somewhere safe
cli-password_set = new password set for { $login }; their sessions have ended
cli-token_revoked = API token { $id } ({ $name }, of { $login }) revoked
error-unauthenticated = you are not signed in, or your session has ended; sign in and try again
error-csrf_rejected = this form has expired or came from another site; reload the page and try again
error-not_found = there is nothing at this address; check the link, or go back to the queue
error-bad_request = the request could not be read: { $detail }
error-too_large = the request is larger than the { $limit_mib } MiB the server takes; send large logs through an upload link

## Accounts: mail with one-time links, the second factor (app::accounts)

invalid-reset_who_blank = give your login or your address to get a reset link
invalid-second_factor_required = { $login } signs in with a second factor; use the sign-in page, which asks for the code
invalid-second_factor_wrong = that code is not right; type the 6 digits your authenticator app shows now, or one of your recovery codes
invalid-second_factor_expired = this sign-in waited too long or had too many wrong codes; sign in again with your password
invalid-second_factor_staff_only = a second factor is for staff accounts; partners sign in with their password
invalid-second_factor_already_on = the second factor is on already; to move it to another device, turn it off with a code first
invalid-second_factor_not_started = no set-up is waiting for a code; start setting up the second factor again
mail-invite-subject = Your Casebook account
mail-invite-body =
    Hello { $name },

    an account has been made for you in Casebook, the support case system. Your login is { $login }.

    Choose your password here (the link works once, for { $hours } hours):
    { $link }

    If you did not expect this mail, you can ignore it.
mail-sla-warning-subject = [SLA warning: { $rule }]
mail-sla-warning-body =
    { $case } ({ $customer }, { $priority }, { $status }) is close to a limit of the SLA policy.

    Rule: { $rule }, { $measure }, limit { $target }
    Warning reached: { $due }
    Title: { $title }

    Open the case: { $link }

    Casebook sent this mail by itself; replies go to the case.
mail-sla-breach-subject = [SLA breach: { $rule }]
mail-sla-breach-body =
    { $case } ({ $customer }, { $priority }, { $status }) has passed a limit of the SLA policy.

    Rule: { $rule }, { $measure }, limit { $target }
    Limit passed: { $due }
    Title: { $title }

    Open the case: { $link }

    Casebook sent this mail by itself; replies go to the case.
mail-reset-subject = Reset your Casebook password
mail-reset-body =
    Hello { $name },

    someone (probably you) asked to reset the password of the Casebook login { $login }.

    Choose a new password here (the link works once, for { $hours } hour(s)):
    { $link }

    If you did not ask for this, ignore this mail: your password stays as it is.

## SLA
span-dh = { $d }d { $h }h
span-hm = { $h }h { $m }m
span-m = { $m }m
cli-sla = SLA clocks (policy { $version })
sla-policy-set = SLA policy { $version } is active; every case's clocks are computed again.
sla-policy-header = SLA policy { $version }, set { $at } by { $by }
sla-policy-calendar = calendar: { $zone }, { $hours }; holidays of { $years }
sla-calendar-missing = warning: the calendar names no holidays for { $years }; import them (casebook calendar import FILE.ics --as holidays) or include a calendar that has them
sla-sweep-done = { $evaluated } case(s) evaluated, { $fired } firing(s) carried out
sla-sweep-skipped = another instance is evaluating the clocks now; nothing was done
sla-level-warning = warning
sla-level-breach = breach
sla-breached = breached
sla-at-risk = at risk
sla-clock-running = running
sla-clock-paused = paused
sla-clock-stopped = stopped
sla-clock-met = met
sla-due-in = due { $due } (in { $left })
sla-overdue = due { $due } ({ $late } overdue)
sla-no-policy = no SLA policy is set; set one with `casebook sla policy set FILE`
sla-status-breached = breached: { $count }
sla-status-at-risk = at risk: { $count }
sla-replay-none = the policy would have fired nothing
sla-replay-totals = { $cases } case(s) replayed, { $firings } firing(s)
sla-replay-rule = { $warning } warning(s), { $breach } breach(es), in { $cases } case(s)
calendar-imported-holiday = { $days } holiday(s) read ({ $first } to { $last }), { $added } new or changed; every case's clocks are computed again
calendar-imported-workday = { $days } working day(s) read ({ $first } to { $last }), { $added } new or changed; every case's clocks are computed again

## web: the workspace, the portal and the server
serve-listening = Casebook is serving at { $url } (listening on { $listen }). Press Ctrl+C to stop.
serve-demo-no-seed = The model case's file was not found: the demo loads Casebook's own demo thread instead (give --seed FILE to use another).
serve-demo-once = Keep these passwords: they are not stored in clear anywhere. Change them under Settings.
web-skip-to-content = Skip to content
web-nav-label = Main
web-nav-queue = Queue
web-nav-my-cases = My organization's cases
web-nav-new-case = New case
web-nav-quarantine = Quarantine
web-nav-organizations = Organizations
web-nav-contacts = Contacts
web-nav-admin = Users
web-sign-out = Sign out
web-save = Save
web-add = Add
web-remove = Remove
web-live-on = Live: new mail and notes appear here without reloading.
web-live-off = Live updates paused; reconnecting…
web-signin-title = Sign in
web-signin-login = Login (email address)
web-signin-password = Password
web-signin-submit = Sign in
web-error-title = Something is wrong
web-error-home = Back to the queue
web-queue-by-status = Cases by status
web-queue-all = All
web-queue-any = Any
web-queue-search = Search cases
web-queue-search-hint = Number, token, title or customer
web-queue-owner = Owner
web-queue-owner-any = Anyone
web-queue-owner-mine = Mine
web-queue-owner-unassigned = Unassigned
web-queue-sort = Sort
web-queue-sort-updated = Recently updated
web-queue-sort-created = Newest
web-queue-sort-priority = Priority
web-queue-sort-due = SLA due first
web-queue-filter = Filter
web-queue-empty = No case matches these filters.
web-queue-next = Next page
web-queue-keys = Keys: j / k move, Enter opens, / searches.
web-view-name = View name
web-view-save = Save view
web-view-delete = Delete view
web-col-number = Case
web-col-updated = Updated
web-col-due = SLA due
web-nav-sla = SLA
web-sla-by-owner = By owner
web-sla-none = No case.
web-sla-clocks = Clocks
web-sla-breached-heading = Breached
web-sla-at-risk-heading = At risk
web-sla-intro = Open cases past an SLA limit or close to one, the most urgent first. The clocks follow the active policy; they pause while a case waits on the customer.
web-case-sla = SLA clocks
web-sla-left = in { $span }
web-sla-late = { $span } overdue
web-sla-policy = policy
web-col-name = Name
web-col-addresses = Addresses
web-col-role = Role
web-col-state = State
web-col-actions = Actions
web-col-from = From
web-col-subject = Subject
web-col-reason = Reason
web-col-received = Received
web-col-decision = Decision
web-bulk-select = Select
web-bulk-title = With the selected cases
web-bulk-action = Action
web-bulk-assign = Assign to
web-bulk-status = Set status
web-bulk-priority = Set priority
web-bulk-tag = Add tag
web-bulk-value = Value
web-bulk-apply = Apply
web-case-timeline = Timeline
web-case-details = Details
web-case-archive-summary = Archive summary
web-case-resolution = Resolution
web-case-status = Status
web-case-no-transitions = This case's status cannot change from here.
web-case-status-to = Change status to
web-case-summary = Summary (archiving: Problem description / Case summary, 问题描述 / 案例总结; resolving: Root cause / Resolution, 根本原因 / 解决方案)
web-case-summary-hint = Problem description: …  Case summary: …
web-case-status-apply = Change status
web-case-edit = Edit
web-case-assign = Assign
web-case-assign-hint = Address or name
web-case-participant-add = Add a participant (address)
web-case-merge-split = Merge and split
web-case-merge-from = Merge this case into here
web-case-merge-force = Merge even across customers or into a closed case
web-case-merge = Merge
web-case-split-title = Title of the new case
web-case-split-messages = Messages to move (row ids, separated by commas)
web-case-split-empty = Open the new case without moving any message
web-case-split = Split off
web-entry-make-public = Make public
web-entry-make-internal = Make internal
web-entry-to = To:
web-entry-quoted = Show quoted history
web-entry-original = Original message (sanitized)
web-entry-no-html = This message has no HTML part.
web-entry-images-blocked = Remote images are blocked.
web-entry-images-show = Show images
web-composer-title = Write
web-composer-reply = Public reply
web-composer-cc = Cc (addresses, separated by commas)
web-composer-files = Attachments
web-composer-send = Send reply
web-composer-note = Internal note (never shown to the customer)
web-composer-add-note = Add note
web-composer-templates = Template
web-composer-collision = { "{names}" } is also writing on this case.
web-outbox-queued = queued
web-outbox-sending = being sent
web-outbox-sent = sent
web-outbox-failed = sending failed
web-notice-saved = Saved.
web-notice-password-changed = Your password was changed; your other sessions have ended.
web-notice-bulk = { $n } case(s) changed, { $m } refused.
web-notice-case-opened = The case was opened.
web-notice-reply-queued = The reply is stored on the case and queued for sending.
web-notice-note-added = The note was added.
web-notice-status-changed = The status was changed.
web-notice-merged = The cases were merged.
web-notice-split = The messages were split off into this new case.
web-new-case-text = Describe the problem
web-new-case-submit = Open case
web-quarantine-empty = Nothing is waiting in quarantine.
web-quarantine-show-all = Show decided entries too
web-quarantine-open-only = Show waiting entries only
web-quarantine-headers = Headers
web-quarantine-text = Text
web-quarantine-attach-to = Attach to case (number or token)
web-quarantine-attach = Attach
web-quarantine-release = Release (file as if it had arrived unheld)
web-quarantine-dismiss = Dismiss (keep, stop waiting)
web-quarantine-note = Note
web-quarantine-resolution-attached = attached
web-quarantine-resolution-released = released
web-quarantine-resolution-dismissed = dismissed
web-org-kind = Kind
web-org-staff = vendor staff
web-org-customer = customer
web-org-domains = Domains
web-org-cases = Cases
web-users = Users
web-tokens = API tokens
web-admin-log = Admin log
web-user-add = Add user
web-user-active = active
web-user-disabled = disabled
web-user-disable = Disable
web-user-enable = Enable
web-token-create = New token
web-token-once = This token is shown only now. Copy it:
web-token-revoke = Revoke
web-token-revoked = revoked
web-settings = Settings
web-settings-lang = Language
web-settings-zone = Time zone
web-settings-password = Change password
web-settings-password-old = Current password
web-settings-password-new = New password (at least 10 characters)
web-template-initial = Initial response (problem and scope)
web-template-initial-text =
    Hello,

    Thank you for contacting us. To make sure we work on the same question, here is the problem and its scope as we understand them.

    Problem definition:
    (what fails, on which system and version, since when)

    Scope:
    We will help you analyse the problem above and give it our full technical support. We will consider closing the case when the problem is solved, when it turns out to be by design, or when it lies with a third party. If there are several problems, we will open one case for each.

    If you disagree with this definition of the problem or its scope, please tell us soon.

    Best regards
web-template-logs = Log collection request
web-template-logs-text =
    Hello,

    To analyse the problem we need the logs of an affected machine. Please tell us when the problem last happened, collect the logs with the attached tool, and upload them through the secure upload link we send with this case (no account or password is needed).

    Thank you
web-template-archive = Archive summary
web-template-archive-text =
    Problem description:
    ----
    (what the customer reported)

    Case summary:
    ----
    (what was tested and found; why the case is archived now)
web-template-resolution = Resolution
web-template-resolution-text =
    Root cause:
    ----
    (the cause found, with the evidence)

    Resolution:
    ----
    (the fix or workaround, and how it was verified)

## demo

demo-loaded = demo data loaded: { $cases ->
    [one] one case
   *[other] { $cases } cases
}; sign in with one of these logins (the passwords are shown only this once)
demo-not_loaded = the store already holds cases or users, so no demo data was loaded; start the demo with an empty data directory or database
demo-login = { $login } ({ $role }, { $org }): { $password }
invalid-zone_unknown = “{ $zone }” is not a time zone; choose one such as Asia/Shanghai or UTC
invalid-listen = cannot listen on { $address } ({ $detail }); choose another address or port with --listen
invalid-filter_staff_only = the { $filter } filter is for the vendor's staff; leave it out
web-notice-password-set = Your password is set. Sign in with it.
web-link-invite = Invitation link
web-link-reset = Password reset link
web-link-welcome = Welcome to Casebook: choose your password
web-link-reset-title = Choose a new password
web-link-submit = Set password
web-link-once = This user has no address, so the link could not be mailed. It is shown only now and works once: give it to the user yourself:
web-col-org = Organization
web-col-names = Names
web-contact-cases = Cases they take part in
web-contact-no-cases = No case names this contact as a participant.
web-forgot-link = Forgot your password?
web-forgot-title = Reset your password
web-forgot-ask = Give your login or your address. If it belongs to an account with an address, a link to choose a new password is mailed there (it works once, for one hour).
web-forgot-submit = Mail me a link
web-forgot-sent = If that login or address belongs to an account, a reset link is on its way. Check your mail (and its spam folder).
web-forgot-back = Back to sign-in
web-link-mailed = The link was queued for mailing to { $address }.
web-notice-second-factor-off = The second factor is off: you sign in with your password alone.
web-notice-second-factor-reset = The user's second factor is off; they sign in with their password and may set it up again.
web-col-2fa = Second factor
web-2fa-on-short = on
web-2fa-off-short = off
web-2fa-reset = Turn off
web-2fa-title = Enter your code
web-2fa-ask = Your account has a second factor. Open your authenticator app and type the 6-digit code it shows for Casebook, or one of your recovery codes.
web-2fa-code = Code
web-2fa-restart = Start again with your password
web-2fa-heading = Second factor (authenticator app)
web-2fa-off = Off. With a second factor, signing in takes your password and a code from an authenticator app on your phone, so a stolen password alone is not enough.
web-2fa-start = Set up a second factor
web-2fa-scan = Scan this QR code with your authenticator app (or type the secret below), then enter the code it shows to finish.
web-2fa-qr = QR code for the authenticator app
web-2fa-secret = Secret:
web-2fa-confirm = Turn on
web-2fa-enabled = The second factor is on. Your other sessions have ended.
web-2fa-recovery-once = Keep these recovery codes somewhere safe: each works once instead of a code, if you lose your phone. They are shown only now.
web-2fa-on = On: signing in asks for a code.
web-2fa-recovery-left = Recovery codes left:
web-2fa-disable = Turn off the second factor
invalid-outbox_not_found = there is no outgoing message { $id }; `casebook outbox list` shows them
invalid-outbox_not_failed = outgoing message { $id } is { $state }, not failed; only a failed message is sent again
mail-ack-from = Support
mail-ack-body =
    Thank you for your message. We have opened case { $case } for it:
    { $title }

    An engineer will answer you soon. Please keep the subject of this mail when you write
    about this problem again (reply to this mail), so that your message finds the case.

    This acknowledgement was sent automatically.
mail-notify-subject = [{ $case }] new mail from { $sender }: { $subject }
mail-notify-moved = The mail moved the case to "{ $status }".
mail-notify-linked = The case it answers was resolved too long ago: the mail opened this new case, linked to the old one.
mail-notify-cancelled = The case is cancelled: its status was not changed. Decide whether to reopen it.
mail-notify-body =
    { $sender } wrote on { $case } ({ $title }):
    { $subject }

    { $what }

    Open the case: { $link }

    Casebook sent this mail by itself. Turn these notices off in your settings.
serve-mail-listening = Taking mail by { $protocol } on { $listen }
cli-reply-queued = Queued as outgoing message { $id } (Message-ID <{ $message_id }>).
cli-outbox-empty = No outgoing messages.
cli-outbox-retried = Outgoing message { $id } is queued again.
outbox-state-queued = queued
outbox-state-sending = sending
outbox-state-sent = sent
outbox-state-failed = failed
cli-mail-smtp = SMTP server
cli-mail-no-smtp = none configured (CASEBOOK_SMTP_URL): mail waits in the outbox
cli-mail-outbox = Outbox
cli-mail-ok = polling
cli-mail-failing = cannot be reached
cli-mail-fetched = { $count } messages taken in
cli-mail-bouncing = Bouncing
cli-mail-held = { $count } automatic messages to { $address } held by the hourly limit
invalid-reply_text_and_file = give the reply as --text or with --file, not both
invalid-reply_missing = give the reply's text with --text or --file
cli-mail-authentication = Sender authentication
mail-assigned-subject = [{ $case }] assigned to you: { $title }
mail-assigned-body =
    { $by } gave you case { $case } ({ $customer }):
    { $title }

    Open the case: { $link }

    Casebook sent this mail by itself. Turn these notices off in your settings.
invalid-notice_unknown = '{ $kind }' is not a kind of notice; the kinds are { $kinds }
cli-notices-on = on:
cli-notices-off = off:
web-nav-outbox = Outbox
web-outbox-filter = Show
web-outbox-all = All
web-outbox-retry = Send again
web-outbox-empty = No outgoing messages here.
web-col-purpose = What
web-col-recipients = To
web-col-queued = Queued
web-col-sent = Sent
web-col-attempts = Attempts
web-col-error = Error or bounce
web-outbox-purpose-case = Reply
web-outbox-purpose-invite = Invitation
web-outbox-purpose-reset = Password reset
web-outbox-purpose-sla = SLA alert
web-outbox-purpose-ack = Acknowledgement
web-outbox-purpose-notify = Notice to staff
web-mailnotices-heading = Notifications by mail
web-mailnotices-legend = Mail me when
web-mailnotice-customer_mail = a customer writes on a case I own
web-mailnotice-assignment = a case is assigned to me
web-mailnotice-upload = an upload on my case has finished
web-mailnotice-sla = an SLA clock of my case is at risk or breached
