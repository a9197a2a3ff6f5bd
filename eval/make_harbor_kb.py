# ruff: noqa: E501
"""Writes eval/kb/harbor/: the large (100+ section) help centre of a fictional project tool.

Hand-written articles plus per-integration and per-error-code pages filled from the tables
below (help centres are built like this too). Run once; the output is committed.
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent / "kb" / "harbor"

INTEGRATIONS = [
    # name, what it does, where to connect, a specific limitation
    ("Slack", "posts task updates to a channel and lets you create tasks with /harbor",
     "Settings → Integrations → Slack → Add to Slack", "one Slack workspace per Harbor workspace"),
    ("Microsoft Teams", "sends project notifications to a Teams channel",
     "Settings → Integrations → Microsoft Teams", "private channels are not supported"),
    ("GitHub", "links commits and pull requests to tasks when the message contains the task key",
     "Settings → Integrations → GitHub → Install app", "GitHub Enterprise Server needs version 3.8 or later"),
    ("GitLab", "links merge requests to tasks and closes tasks when a merge request is merged",
     "Settings → Integrations → GitLab", "self-managed GitLab must be reachable from the internet"),
    ("Bitbucket", "shows branches and pull requests on the task page",
     "Settings → Integrations → Bitbucket", "only Bitbucket Cloud is supported"),
    ("Google Drive", "attaches Drive files to tasks without copying them",
     "Settings → Integrations → Google Drive", "shared drives need a Google Workspace admin to allow the app"),
    ("Dropbox", "attaches Dropbox files and folders to tasks",
     "Settings → Integrations → Dropbox", "files larger than 2 GB show as links only"),
    ("OneDrive", "attaches OneDrive and SharePoint files to tasks",
     "Settings → Integrations → OneDrive", "personal OneDrive accounts cannot open SharePoint files"),
    ("Zoom", "starts a Zoom meeting from a task and stores the recording link on it",
     "Settings → Integrations → Zoom", "recordings stay in Zoom; Harbor stores only the link"),
    ("Google Calendar", "shows task due dates in a Google calendar",
     "Settings → Integrations → Google Calendar", "the calendar updates every 15 minutes, not instantly"),
    ("Outlook Calendar", "shows task due dates in Outlook",
     "Settings → Integrations → Outlook Calendar", "the calendar updates every 15 minutes, not instantly"),
    ("Figma", "embeds live Figma frames in task descriptions",
     "Settings → Integrations → Figma", "viewers need access to the Figma file to see the frame"),
    ("Zapier", "connects Harbor to more than 5,000 apps with triggers and actions",
     "in Zapier: search for Harbor and sign in", "Zapier runs every 15 minutes on Zapier's free plan"),
    ("Salesforce", "creates a Harbor project when an opportunity is won",
     "Settings → Integrations → Salesforce", "available on the Business and Enterprise plans only"),
    ("HubSpot", "creates onboarding projects from closed deals",
     "Settings → Integrations → HubSpot", "available on the Business and Enterprise plans only"),
    ("Zendesk", "turns Zendesk tickets into Harbor tasks and syncs the status back",
     "Settings → Integrations → Zendesk", "only public ticket comments are synced"),
    ("Jira", "imports Jira projects, issues, comments and attachments once",
     "Settings → Import → Jira", "the import is one-way; issues are not kept in sync"),
    ("Trello", "imports Trello boards as Harbor projects (lists become sections)",
     "Settings → Import → Trello", "Power-Up data is not imported"),
    ("Asana", "imports Asana projects with tasks, subtasks and assignees",
     "Settings → Import → Asana", "custom field types other than text and number are skipped"),
    ("Notion", "imports Notion databases as Harbor projects",
     "Settings → Import → Notion", "only databases are imported, not plain pages"),
]

ERRORS = [
    ("HB-1001", "Session expired", "your login session is older than 30 days",
     "Sign in again. If it happens every day, allow cookies for app.harbor.example."),
    ("HB-1002", "Account locked", "there were 10 failed sign-ins within an hour",
     "Wait 30 minutes or reset your password with **Forgot password**."),
    ("HB-1003", "SSO user not provisioned", "your identity provider sent a user Harbor does not know",
     "Ask your admin to assign you to the Harbor app in the identity provider."),
    ("HB-1004", "Two-factor code rejected", "the code is wrong or your phone's clock is off",
     "Set your phone's time to automatic and try a fresh code; or use a backup code."),
    ("HB-2001", "Upload too large", "a single file is larger than 5 GB",
     "Split the file or attach it from Google Drive, Dropbox or OneDrive instead."),
    ("HB-2002", "Storage quota reached", "the workspace used all storage of its plan",
     "Delete old attachments under Settings → Storage or upgrade the plan."),
    ("HB-2003", "File type blocked", "your admin blocked this file type",
     "Ask a workspace admin to change Settings → Security → Allowed file types."),
    ("HB-2004", "Virus detected", "the virus scanner flagged the file",
     "The file is not stored. Scan it on your computer and upload a clean copy."),
    ("HB-3001", "Task limit reached", "a project on the Free plan has 500 tasks",
     "Archive finished tasks or upgrade to Team for unlimited tasks."),
    ("HB-3002", "Circular dependency", "two tasks depend on each other",
     "Remove one of the dependencies in the task's **Blocked by** field."),
    ("HB-3003", "Project archived", "you tried to edit a task in an archived project",
     "Restore the project under Projects → Archived → Restore."),
    ("HB-3004", "Automation disabled", "an automation failed 20 times in a row",
     "Fix the action that fails (shown in the automation's log) and switch it on again."),
    ("HB-4001", "Invalid API token", "the token was revoked, expired or mistyped",
     "Create a new token under Settings → API and send it as `Authorization: Bearer`."),
    ("HB-4002", "Rate limit exceeded", "more than 100 API requests per minute per token",
     "Wait for the time in the `Retry-After` header; batch requests where possible."),
    ("HB-4003", "Webhook endpoint unreachable", "your endpoint did not answer within 10 seconds",
     "Make the endpoint answer 2xx quickly; Harbor retries 5 times over 24 hours."),
    ("HB-4004", "Missing scope", "the token lacks the permission for this endpoint",
     "Create a token with the needed scope, for example `tasks:write`."),
    ("HB-5001", "Payment failed", "the card was declined by the bank",
     "Update the card under Settings → Billing → Payment method; we retry after 3 days."),
    ("HB-5002", "VAT number invalid", "the EU VIES service did not confirm the VAT number",
     "Check the country prefix (for example DE123456789) and try again later if VIES is down."),
    ("HB-5003", "Seat limit reached", "all paid seats are in use",
     "Add seats under Settings → Billing → Seats or remove inactive members."),
    ("HB-5004", "Plan change blocked", "the smaller plan cannot hold your current usage",
     "Reduce storage or members below the smaller plan's limits first."),
]

ARTICLES = {
    "getting-started": """# Getting started

## What is Harbor?

Harbor is a project tool for teams: projects hold tasks, tasks have assignees, due dates,
dependencies, comments and files. Views: list, board, timeline and calendar.

## Create a workspace

Sign up at https://app.harbor.example/signup with your work email. The first person becomes
the workspace owner. A workspace has its own members, projects, billing and settings.

## Invite your team

Go to **Settings → Members → Invite** and enter email addresses, one per line. Invitations
expire after 7 days; resend them from the same page. Guests can see only the projects they
are invited to and do not use a paid seat.

## Roles and permissions

Owner: everything including billing and deleting the workspace. Admin: members, settings
and integrations. Member: create and edit projects. Guest: only invited projects, no
workspace settings.

## Mobile apps

Harbor for iOS (16 or later) and Android (10 or later) supports tasks, comments, files
and push notifications. Timelines and automations are edited on the web only.
""",
    "projects": """# Projects and tasks

## Create a project

Click **New project**, pick a template (blank, software sprint, marketing calendar, client
onboarding) and invite members. Projects can be public to the workspace or private.

## Subtasks and dependencies

A task can have up to 5 levels of subtasks. Set **Blocked by** to make a task wait for
another; the timeline moves dependent tasks when a date changes.

## Recurring tasks

Open a task, click the due date and choose **Repeat**: daily, weekly, monthly or a custom
rule. The next copy is created when the current one is completed.

## Custom fields

Add text, number, date, dropdown, person and checkbox fields under **Project → Fields**.
The Free plan allows 3 custom fields per project; paid plans are unlimited.

## Archive or delete a project

Archive a project from its menu (**… → Archive**) to hide it and keep everything; restore
it any time. Deleting moves it to the trash for 30 days, then it is removed for good.

## Restore deleted tasks

Deleted tasks stay in **Trash** for 30 days. Open Trash from the sidebar and click
**Restore**; the task returns to its project with comments and files.

## Time tracking

Start the timer on a task or log time by hand. Reports under **Reports → Time** export to
CSV. Time tracking is included in the Team, Business and Enterprise plans.

## Automations

Rules like "when status changes to Done, notify the client" are set under **Project →
Automations**. Team plans run 1,000 automation actions per month, Business 10,000.
""",
    "billing": """# Plans and billing

## Plans and prices

| Plan | Price | Members | Storage |
|---|---|---|---|
| Free | $0 | up to 5 | 2 GB |
| Team | $8 per member per month | unlimited | 100 GB |
| Business | $16 per member per month | unlimited | 1 TB, SSO, audit log |
| Enterprise | on request | unlimited | custom, data residency |

Paying yearly saves 20 %.

## Payment methods

We accept Visa, Mastercard and American Express. Yearly Business and Enterprise plans can
also pay by invoice and bank transfer (30 days net). We do not accept PayPal or cheques.

## Invoices and receipts

Invoices are emailed to the billing contact and available under **Settings → Billing →
Invoices** as PDF. To add your VAT number or change the address on future invoices, edit
**Billing details**. Past invoices cannot be changed.

## Change plan

Upgrade any time under **Settings → Billing → Plan**; you pay the difference pro rata.
Downgrades take effect at the next renewal.

## Cancel and refunds

Cancel under **Settings → Billing → Plan → Cancel**. Monthly plans are not refunded; yearly
plans cancelled within 14 days of payment are refunded in full. The workspace moves to the
Free plan at the end of the paid period.

## Nonprofit and education discount

Registered nonprofits and schools get 50 % off Team and Business. Apply at
https://harbor.example/nonprofit with proof of status.
""",
    "security": """# Security and administration

## Single sign-on (SSO)

Business and Enterprise plans support SAML 2.0 SSO with Okta, Microsoft Entra ID, Google
Workspace and OneLogin. Set it up under **Settings → Security → SSO** with your identity
provider's metadata URL. SCIM provisioning is included on Enterprise.

## Two-factor authentication

Turn on 2FA under **Profile → Security** with an authenticator app. Admins can require it
for everyone under **Settings → Security**. Lost your phone? Use one of the 10 backup codes
or ask a workspace admin to reset your 2FA.

## Audit log

Business and Enterprise plans keep an audit log of sign-ins, permission changes, exports
and deletions for 1 year, under **Settings → Security → Audit log**.

## Data location

Workspaces are hosted in the EU (Frankfurt) or the US (Virginia); you choose when you create
the workspace. Moving a workspace between regions is possible on Enterprise only.

## Export your data

Owners and admins export everything (projects, tasks, comments, files) as JSON and CSV under
**Settings → Export**. Large exports are emailed as a download link that works for 7 days.

## Delete the workspace

The owner can delete the workspace under **Settings → Workspace → Delete**. Everything is
removed after a 14-day grace period; backups are purged within 30 days.

## Status page

Check https://status.harbor.example for incidents and planned maintenance; subscribe there
for email alerts.
""",
    "api": """# API and webhooks

## API overview

The REST API lives at https://api.harbor.example/v2 and uses JSON. Create a personal token
under **Settings → API**; send it as `Authorization: Bearer <token>`. Limit: 100 requests
per minute per token.

## Webhooks

Subscribe to events (task.created, task.completed, comment.added) under **Settings → API →
Webhooks**. Each delivery is signed with an HMAC-SHA256 header `Harbor-Signature`.

## Pagination

List endpoints return 50 items per page and a `next_cursor`; pass it as `cursor` to get the
next page.
""",
    "views": """# Views, notifications and shortcuts

## Board view

The board shows tasks as cards in columns by status; drag a card to change its status.
Columns can be grouped by assignee or a dropdown field instead.

## Timeline (Gantt) view

The timeline shows tasks with start and due dates as bars; drag a bar to move dates and
draw a line between bars to add a dependency. Available on Team plans and above.

## Calendar view

The calendar shows tasks on their due dates. Subscribe to it from other calendar apps with
the iCal link under **View → Share → iCal feed**.

## Email notifications

Choose what Harbor emails you under **Profile → Notifications**: instantly, a daily digest
at 8:00 in your time zone, or never. Mentions are always sent instantly.

## Reply to comments by email

Reply to a notification email and your reply is added as a comment on the task.
Attachments in the reply are added to the task as files.

## Keyboard shortcuts

| Action | Shortcut |
|---|---|
| New task | N |
| Search | / |
| Assign to me | Q |
| Mark complete | Ctrl+Enter (Cmd+Enter on Mac) |
| Open shortcut list | ? |

## Change language and time zone

Harbor is available in English, German, French, Spanish, Portuguese, Italian, Dutch,
Polish and Japanese. Change it under **Profile → Preferences → Language**; the time zone is
set on the same page.

## Dark mode

Switch between light, dark and system theme under **Profile → Preferences → Theme**.

## Guest access for clients

Invite clients as guests to one project; they can comment and upload files but cannot see
other projects. Guests are free and do not use a seat.

## Templates

Save any project as a template from its menu (**… → Save as template**). Templates copy
sections, tasks, custom fields and automations, but not comments or files.

## Forms

Collect requests with a form whose answers become tasks: **Project → Forms → New form**.
Share the public link; Business plans can require sign-in.

## Goals

Goals (OKRs) link to projects and show progress from completed tasks. Goals are included in
Business and Enterprise.
""",
}


def integration_pages() -> str:
    parts = ["# Integrations\n"]
    for name, what, where, limit in INTEGRATIONS:
        parts.append(f"## Connect {name}\n\nThe {name} integration {what}. To connect it, go to"
                     f" **{where}** and sign in to {name}. A workspace admin must approve the"
                     f" connection once.\n")
        parts.append(f"## {name} integration: troubleshooting\n\nIf {name} stops working, open"
                     f" **Settings → Integrations → {name}** and click **Reconnect**. Good to"
                     f" know: {limit}. Disconnecting {name} keeps what was already linked"
                     f" in Harbor.\n")
    return "\n".join(parts)


def error_pages() -> str:
    parts = ["# Error messages\n"]
    for code, title, cause, fix in ERRORS:
        parts.append(f"## {code}: {title}\n\nYou see {code} when {cause}. {fix}\n")
    return "\n".join(parts)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (OUT / f"{name}.md").write_text(text, encoding="utf-8")
    (OUT / "integrations.md").write_text(integration_pages(), encoding="utf-8")
    (OUT / "errors.md").write_text(error_pages(), encoding="utf-8")


if __name__ == "__main__":
    main()
