//! A new user as the operator describes it (its own id for the user, an E.164 phone, a
//! name), and the operator's identity record (KYC level, legal name, birth date, document),
//! each checked once when it is parsed.

use std::fmt;

use super::Invalid;

/// A phone number in E.164 form: `+`, a country code not starting with 0, at most 15
/// digits in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

/// The fewest digits an E.164 number can have (country code and subscriber number).
const PHONE_DIGITS_MIN: usize = 8;
/// The most digits E.164 allows.
const PHONE_DIGITS_MAX: usize = 15;

impl Phone {
    pub fn parse(text: &str) -> Option<Phone> {
        let digits = text.strip_prefix('+')?;
        let well_formed = (PHONE_DIGITS_MIN..=PHONE_DIGITS_MAX).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        well_formed.then(|| Phone(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How far the operator has checked a user's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KycLevel {
    None,
    Basic,
    Verified,
}

impl KycLevel {
    pub fn parse(text: &str) -> Option<KycLevel> {
        match text {
            "none" => Some(KycLevel::None),
            "basic" => Some(KycLevel::Basic),
            "verified" => Some(KycLevel::Verified),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KycLevel::None => "none",
            KycLevel::Basic => "basic",
            KycLevel::Verified => "verified",
        }
    }
}

/// The operator's own id for a user: 1 to 64 characters after trimming, none a control
/// character; unique in the tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalId(String);

/// Longest external id accepted, in bytes.
const EXTERNAL_ID_LEN_MAX: usize = 64;

impl ExternalId {
    pub fn parse(text: &str) -> Option<ExternalId> {
        let text = text.trim();
        let well_formed = !text.is_empty() && text.len() <= EXTERNAL_ID_LEN_MAX && !text.chars().any(char::is_control);
        well_formed.then(|| ExternalId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as written (a display name or a legal name): 1 to 100 characters after
/// trimming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName(String);

/// Most characters (not bytes) in a name.
const NAME_CHARS_MAX: usize = 100;

impl PersonName {
    pub fn parse(text: &str) -> Option<PersonName> {
        let text = text.trim();
        let well_formed = !text.is_empty() && text.chars().count() <= NAME_CHARS_MAX;
        well_formed.then(|| PersonName(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user to create, as the operator describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    external_id: ExternalId,
    phone: Phone,
    name: Option<PersonName>,
}

impl NewUser {
    /// Checks each field in turn; the first at fault is named.
    pub fn parse(external_id: &str, phone: &str, name: Option<&str>) -> Result<NewUser, Invalid> {
        let external_id = ExternalId::parse(external_id).ok_or_else(|| {
            Invalid::new("invalid_external_id", "external_id is 1 to 64 visible characters", "external_id")
        })?;
        let phone = Phone::parse(phone)
            .ok_or_else(|| Invalid::new("invalid_phone", "phone is an E.164 number such as +821012345678", "phone"))?;
        let name = name
            .map(|name| PersonName::parse(name).ok_or_else(|| Invalid::new("invalid_name", NAME_RULE, "name")))
            .transpose()?;
        Ok(NewUser { external_id, phone, name })
    }

    pub fn external_id(&self) -> &ExternalId {
        &self.external_id
    }

    pub fn phone(&self) -> &Phone {
        &self.phone
    }

    pub fn name(&self) -> Option<&PersonName> {
        self.name.as_ref()
    }
}

const NAME_RULE: &str = "name is 1 to 100 characters";

/// The result of the operator's identity check, as it records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kyc {
    level: KycLevel,
    legal_name: PersonName,
    birth_date: time::Date,
    document_ref: String,
}

/// Longest document reference accepted, in bytes.
const DOCUMENT_REF_LEN_MAX: usize = 128;

impl Kyc {
    /// Checks each field in turn, the first at fault named; the birth date is a real date
    /// `YYYY-MM-DD` not after `today`.
    pub fn parse(
        level: &str,
        legal_name: &str,
        birth_date: &str,
        document_ref: &str,
        today: time::Date,
    ) -> Result<Kyc, Invalid> {
        let level = KycLevel::parse(level)
            .ok_or_else(|| Invalid::new("invalid_kyc_level", "level is none, basic or verified", "level"))?;
        let legal_name = PersonName::parse(legal_name)
            .ok_or_else(|| Invalid::new("invalid_legal_name", "legal_name is 1 to 100 characters", "legal_name"))?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let birth_date = time::Date::parse(birth_date, &format)
            .ok()
            .filter(|born| *born <= today)
            .ok_or_else(|| Invalid::new("invalid_birth_date", "birth_date is a past date YYYY-MM-DD", "birth_date"))?;
        let document_ref = document_ref.trim();
        if document_ref.is_empty() || document_ref.len() > DOCUMENT_REF_LEN_MAX {
            let message = "document_ref is 1 to 128 characters";
            return Err(Invalid::new("invalid_document_ref", message, "document_ref"));
        }
        Ok(Kyc { level, legal_name, birth_date, document_ref: document_ref.to_string() })
    }

    pub fn level(&self) -> KycLevel {
        self.level
    }

    pub fn legal_name(&self) -> &PersonName {
        &self.legal_name
    }

    /// `YYYY-MM-DD`.
    pub fn birth_date(&self) -> String {
        self.birth_date.to_string()
    }

    /// The operator's reference to the document it checked.
    pub fn document_ref(&self) -> &str {
        &self.document_ref
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_e164() {
        assert!(Phone::parse("+821012345678").is_some());
        assert!(Phone::parse("+14155550100").is_some());
        for bad in ["01012345678", "+0101234567", "+82 10 1234 5678", "+8210", "+1234567890123456", "+82-10-1234", ""] {
            assert_eq!(Phone::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn kyc_levels_are_ordered() {
        assert!(KycLevel::Verified > KycLevel::Basic && KycLevel::Basic > KycLevel::None);
        assert_eq!(KycLevel::parse("verified").map(KycLevel::as_str), Some("verified"));
        assert_eq!(KycLevel::parse("Verified"), None);
    }

    #[test]
    fn new_users_name_the_field_at_fault() {
        let user = NewUser::parse(" ext-1 ", "+821012345678", Some(" Kim ")).unwrap();
        assert_eq!((user.external_id().as_str(), user.name().map(PersonName::as_str)), ("ext-1", Some("Kim")));
        assert!(NewUser::parse("ext-1", "+821012345678", None).unwrap().name().is_none());
        let param = |external_id: &str, phone: &str, name: Option<&str>| {
            NewUser::parse(external_id, phone, name).unwrap_err().param
        };
        assert_eq!(param(" ", "+821012345678", None), "external_id");
        assert_eq!(param(&"x".repeat(65), "+821012345678", None), "external_id");
        assert_eq!(param("a\u{7}b", "+821012345678", None), "external_id");
        assert_eq!(param("ext", "01012345678", None), "phone");
        assert_eq!(param("ext", "+821012345678", Some("")), "name");
        assert_eq!(param("ext", "+821012345678", Some(&"가".repeat(101))), "name");
        assert!(PersonName::parse(&"가".repeat(100)).is_some(), "names count characters, not bytes");
    }

    #[test]
    fn kyc_records_are_checked_field_by_field() {
        let today = time::macros::date!(2024 - 06 - 01);
        let kyc = Kyc::parse("verified", " 김민수 ", "1990-04-01", " doc-7 ", today).unwrap();
        assert_eq!(
            (kyc.legal_name().as_str(), kyc.birth_date(), kyc.document_ref()),
            ("김민수", "1990-04-01".to_string(), "doc-7")
        );
        for (level, name, born, document, code) in [
            ("gold", "김민수", "1990-04-01", "doc", "invalid_kyc_level"),
            ("basic", " ", "1990-04-01", "doc", "invalid_legal_name"),
            ("basic", "김민수", "1990-02-30", "doc", "invalid_birth_date"),
            ("basic", "김민수", "2024-06-02", "doc", "invalid_birth_date"),
            ("basic", "김민수", "1990-04-01", "", "invalid_document_ref"),
        ] {
            assert_eq!(Kyc::parse(level, name, born, document, today).unwrap_err().code, code);
        }
        assert!(Kyc::parse("basic", "김민수", "2024-06-01", "doc", today).is_ok(), "born today is in the past enough");
    }
}
