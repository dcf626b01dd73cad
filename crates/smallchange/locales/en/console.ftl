# The operators' console (/console/).
console-name = smallchange console
console-nav-label = Console menu
console-nav-overview = Overview
console-signed-in-as = { $email } · { $role }
console-role-admin = Admin
console-role-reviewer = Reviewer
console-role-support = Support
console-role-finance = Finance
console-role-readonly = Read-only
console-back-to-console = Go to the console

console-sign-in-title = Sign in to the console
console-sign-in-failed = You could not be signed in
console-email = Email
console-password = Password
console-code = Code from your authenticator app
console-code-hint = The 6 digits your authenticator app shows now.
console-sign-in = Sign in
console-sign-in-help = Lost your password or authenticator? Ask an admin for a new set-up link.

console-setup-title = Set up your console account
console-setup-password-lead = Choose a password for { $email }.
console-new-password = New password
console-new-password-hint = At least 12 characters, and not your email. A few words you will remember make a good one.
console-new-password-again = The same password again
console-continue = Continue
console-setup-steps = Next you will set up an authenticator app. This link works once, for 15 minutes.
console-setup-authenticator-title = Set up your authenticator
console-setup-authenticator-lead = Scan this QR code with an authenticator app (such as Google Authenticator or Microsoft Authenticator), then type the code it shows.
console-qr-alt = QR code for your authenticator app
console-secret-instead = Cannot scan it? Type this key into the app instead:
console-setup-code-hint = The 6 digits the app shows for this account.
console-finish-setup = Finish and sign in
console-link-gone-title = This set-up link does not work
console-link-gone-text = It was used already, it expired after 15 minutes, or it was replaced by a newer one. Ask an admin for a new set-up link.

console-overview-coming = You are signed in. The figures for your platform will appear here.

error-sign_in_failed = The email, password or code is not right. Check them and try again; a new code appears every 30 seconds.
error-password_too_short = The password must be at least 12 characters.
error-password_too_long = The password must be at most 128 characters.
error-password_is_email = The password cannot be your email. Choose another.
error-passwords_differ = The two passwords are not the same. Type them again.
error-invalid_email = Type an email address like name@example.com.
error-link_gone = This set-up link was used already, expired or was replaced. Ask an admin for a new one.
error-password_not_chosen = Choose a password first.
error-setup_code_invalid = That is not the code your authenticator app shows for this account. Check the app and type the current code.
