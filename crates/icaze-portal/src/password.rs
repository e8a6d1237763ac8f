//! Passwords of the portal's accounts: Argon2id hashes in PHC strings,
//! one-time passwords for new accounts, and the login throttling rules.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::PortalError;

/// The shortest password a person may choose.
pub const MIN_PASSWORD: usize = 10;
/// The longest password accepted, in bytes (Argon2 takes any length; this
/// only keeps request bodies and logs of mistakes sane).
pub const MAX_PASSWORD: usize = 256;

/// Failed logins of one login name that close it for the window.
pub const MAX_FAILURES_PER_LOGIN: u32 = 5;
/// Failed logins from one address that close it for the window.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// The throttling window, in minutes.
pub const THROTTLE_WINDOW_MINUTES: u32 = 15;

/// The cost of Argon2id.
///
/// The default is the argon2 crate's (and OWASP's second recommendation):
/// 19 MiB of memory, 2 passes, 1 lane, about 20 ms on one core of a 2020
/// server. A login costs one hash, so 2 cores check about 100 logins a
/// second. Tests use [`HashCost::cheap`] so that the suite stays fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub passes: u32,
    /// Lanes.
    pub lanes: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        Self { memory_kib: Params::DEFAULT_M_COST, passes: Params::DEFAULT_T_COST, lanes: Params::DEFAULT_P_COST }
    }
}

impl HashCost {
    /// The cheapest cost Argon2 allows: for tests only, never for real accounts.
    pub fn cheap() -> Self {
        Self { memory_kib: Params::MIN_M_COST.max(8), passes: 1, lanes: 1 }
    }
}

/// Hashes and checks passwords at one cost.
pub struct Hasher {
    argon2: Argon2<'static>,
    /// A hash of nothing anyone knows, checked when the login does not exist
    /// so that an unknown login takes as long as a wrong password.
    dummy: String,
}

impl Hasher {
    /// A hasher at `cost`; refuses a cost Argon2 does not allow.
    pub fn new(cost: HashCost) -> Result<Self, PortalError> {
        let params = Params::new(cost.memory_kib, cost.passes, cost.lanes, None)
            .map_err(|e| PortalError::Internal(format!("Argon2 parameters: {e}")))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut hasher = Self { argon2, dummy: String::new() };
        hasher.dummy = hasher.hash(&one_time_password()?)?;
        Ok(hasher)
    }

    /// The PHC string of `password` with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, PortalError> {
        let mut salt = [0u8; 16];
        getrandom::getrandom(&mut salt).map_err(|e| PortalError::Internal(format!("random source: {e}")))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| PortalError::Internal(format!("salt: {e}")))?;
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PortalError::Internal(format!("hashing: {e}")))
    }

    /// Whether `password` matches the PHC string `stored` (made at any cost:
    /// the parameters are read from the string). `None` checks against a
    /// dummy hash and is always false.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let text = stored.unwrap_or(&self.dummy);
        let Ok(parsed) = PasswordHash::new(text) else { return false };
        let matches = self.argon2.verify_password(password.as_bytes(), &parsed).is_ok();
        matches && stored.is_some()
    }
}

/// Letters and digits that are hard to mistake for one another when read
/// aloud or from paper (no 0/o, 1/l/i).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// One-time password length: 14 characters of 31, about 69 bits.
const ONE_TIME_LEN: usize = 14;

/// A new one-time password.
pub fn one_time_password() -> Result<String, PortalError> {
    let mut out = String::with_capacity(ONE_TIME_LEN);
    // Rejection sampling keeps every character equally likely: bytes at or
    // above the largest multiple of the alphabet's size are drawn again.
    let limit = 256 - 256 % ALPHABET.len();
    while out.len() < ONE_TIME_LEN {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| PortalError::Internal(format!("random source: {e}")))?;
        for b in bytes {
            if usize::from(b) < limit && out.len() < ONE_TIME_LEN {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

/// Checks a new password against the rules: at least [`MIN_PASSWORD`]
/// characters, at most [`MAX_PASSWORD`] bytes. Nothing else is checked (no
/// composition rules: length is what makes a password hard to guess).
pub fn check_new_password(password: &str) -> Result<(), PortalError> {
    if password.chars().count() < MIN_PASSWORD || password.len() > MAX_PASSWORD {
        return Err(PortalError::invalid(
            "weak_password",
            format!("choose a password of at least {MIN_PASSWORD} characters (and at most {MAX_PASSWORD} bytes)"),
        )
        .case("length")
        .field("new")
        .param("min", MIN_PASSWORD)
        .param("max_bytes", MAX_PASSWORD));
    }
    Ok(())
}

/// Failed logins counted within the window, with the oldest of each count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failures of this login.
    pub by_login: u32,
    /// The oldest of them, in unix minutes.
    pub oldest_login: Option<u32>,
    /// Failures from this address.
    pub by_address: u32,
    /// The oldest of them, in unix minutes.
    pub oldest_address: Option<u32>,
}

impl Failures {
    /// `Some(seconds)` to wait when the login or the address is throttled at
    /// `now` (unix minutes). The wait runs until the oldest failure counted
    /// leaves the window: throttled attempts are not counted, so the count
    /// then falls below the limit.
    pub fn retry_after(&self, now: u32) -> Option<u64> {
        let wait = |oldest: Option<u32>| {
            let end = oldest.unwrap_or(now).saturating_add(THROTTLE_WINDOW_MINUTES);
            u64::from(end.saturating_sub(now).max(1)) * 60
        };
        let login = (self.by_login >= MAX_FAILURES_PER_LOGIN).then(|| wait(self.oldest_login));
        let address = (self.by_address >= MAX_FAILURES_PER_ADDRESS).then(|| wait(self.oldest_address));
        login.max(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let hasher = Hasher::new(HashCost::cheap()).unwrap();
        let hash = hasher.hash("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(hasher.verify("correct horse battery", Some(&hash)));
        assert!(!hasher.verify("correct horse batterY", Some(&hash)));
        assert!(!hasher.verify("anything", None));
        assert!(!hasher.verify("x", Some("not a phc string")));
        assert_ne!(hash, hasher.hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn one_time_passwords_are_readable_and_differ() {
        let a = one_time_password().unwrap();
        assert_eq!(a.len(), ONE_TIME_LEN);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(a, one_time_password().unwrap());
        assert!(check_new_password(&a).is_ok());
        assert!(check_new_password("short").is_err());
    }

    #[test]
    fn throttling_waits_for_the_oldest_failure() {
        let f = Failures { by_login: 5, oldest_login: Some(100), by_address: 0, oldest_address: None };
        assert_eq!(f.retry_after(105), Some(10 * 60));
        let f = Failures { by_login: 4, oldest_login: Some(100), by_address: 19, oldest_address: Some(100) };
        assert_eq!(f.retry_after(105), None);
        let f = Failures { by_login: 1, oldest_login: Some(104), by_address: 20, oldest_address: Some(101) };
        assert_eq!(f.retry_after(105), Some(11 * 60));
    }
}
