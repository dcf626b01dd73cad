//! The console's operators as input: their role, their email, and the rules a password
//! must meet (docs/CONSOLE.md).

use super::Invalid;

/// What an operator may change in the console (docs/CONSOLE.md has the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Reviewer,
    Support,
    Finance,
    Readonly,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Reviewer, Role::Support, Role::Finance, Role::Readonly];

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Support => "support",
            Role::Finance => "finance",
            Role::Readonly => "readonly",
        }
    }

    /// The role as input, refused with the roles there are.
    pub fn checked(text: &str) -> Result<Role, Invalid> {
        Role::parse(text).ok_or_else(|| {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            Invalid::new("invalid_role", format!("the role must be one of {}", roles.join(", ")), "role")
        })
    }
}

/// Longest email kept (RFC 5321's path limit).
const EMAIL_CHARS_MAX: usize = 254;
/// Fewest characters in a password.
pub const PASSWORD_CHARS_MIN: usize = 12;
/// Most characters in a password: more is no safer and only costs hashing time.
pub const PASSWORD_CHARS_MAX: usize = 128;

/// An operator's email as typed (trimmed) and the key it is found by (lower case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub shown: String,
    pub key: String,
}

impl Email {
    /// An address with one `@`, something on either side, a dot in the domain and no spaces.
    pub fn parse(typed: &str) -> Result<Email, Invalid> {
        let shown = typed.trim();
        let refused = || Invalid::new("invalid_email", "the email must be an address like name@example.com", "email");
        let (local, domain) = shown.split_once('@').ok_or_else(refused)?;
        let plausible = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && shown.chars().count() <= EMAIL_CHARS_MAX
            && !shown.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plausible {
            return Err(refused());
        }
        Ok(Email { shown: shown.to_string(), key: shown.to_lowercase() })
    }
}

/// A password an operator may choose: 12 to 128 characters, and not their email (in any
/// case, or with spaces around it).
pub fn check_password(password: &str, email: &Email) -> Result<(), Invalid> {
    let chars = password.chars().count();
    if chars < PASSWORD_CHARS_MIN {
        return Err(Invalid::new(
            "password_too_short",
            format!("the password must be at least {PASSWORD_CHARS_MIN} characters"),
            "password",
        ));
    }
    if chars > PASSWORD_CHARS_MAX {
        return Err(Invalid::new(
            "password_too_long",
            format!("the password must be at most {PASSWORD_CHARS_MAX} characters"),
            "password",
        ));
    }
    if password.trim().to_lowercase() == email.key {
        return Err(Invalid::new("password_is_email", "the password cannot be the email", "password"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_found_in_lower_case() {
        let email = Email::parse("  Min.Ji@Example.COM ").unwrap();
        assert_eq!((email.shown.as_str(), email.key.as_str()), ("Min.Ji@Example.COM", "min.ji@example.com"));
        for wrong in ["", "minji", "@example.com", "minji@", "minji@example", "min ji@example.com", "a@b@c.com"] {
            assert_eq!(Email::parse(wrong).unwrap_err().code, "invalid_email", "{wrong:?}");
        }
    }

    #[test]
    fn a_password_is_long_enough_and_not_the_email() {
        let email = Email::parse("admin@example.com").unwrap();
        assert_eq!(check_password("short", &email).unwrap_err().code, "password_too_short");
        assert_eq!(check_password(&"x".repeat(129), &email).unwrap_err().code, "password_too_long");
        assert_eq!(check_password("ADMIN@example.com", &email).unwrap_err().code, "password_is_email");
        assert_eq!(check_password("열두글자의긴비밀번호입니다", &email), Ok(()));
        assert!(check_password("correct horse battery", &email).is_ok());
    }

    #[test]
    fn roles_read_back() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::checked("owner").unwrap_err().code, "invalid_role");
    }
}
