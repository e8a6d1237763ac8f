//! The device key file: the device's Ed25519 key, mode 0600, never overwritten.

use std::io::Write as _;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use icaze_core::SecretKey;
use zeroize::Zeroizing;

use crate::error::DeviceError;

const KEY_TAG: &str = "icaze-device-key-v1";

/// Options that create a new file (never an existing one) readable and
/// writable by its owner only (mode 0600): the key, the database, export files.
pub(crate) fn new_private_file() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Creates the device key file (mode 0600, never overwriting one).
pub(crate) fn create_key_file(path: &Path) -> Result<SecretKey, DeviceError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(seed.as_mut()).map_err(|e| DeviceError::Random(e.to_string()))?;
    let key = SecretKey::from_seed(&seed);
    let text = Zeroizing::new(format!(
        "# icaze device key: it identifies this device to the server; never share or copy it\n{KEY_TAG} {}\n",
        *Zeroizing::new(URL_SAFE_NO_PAD.encode(seed.as_ref()))
    ));
    let io = |source| DeviceError::Io { path: path.to_owned(), source };
    let mut file = new_private_file().open(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(key)
}

/// Reads the device key file.
pub(crate) fn read_key_file(path: &Path) -> Result<SecretKey, DeviceError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|source| DeviceError::Io { path: path.to_owned(), source })?,
    );
    let damaged = || DeviceError::KeyFile(path.to_owned());
    let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).ok_or_else(damaged)?;
    let mut fields = line.split_whitespace();
    if fields.next() != Some(KEY_TAG) {
        return Err(damaged());
    }
    let seed = Zeroizing::new(URL_SAFE_NO_PAD.decode(fields.next().ok_or_else(damaged)?).map_err(|_| damaged())?);
    if fields.next().is_some() {
        return Err(damaged());
    }
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(seed.as_slice().try_into().map_err(|_| damaged())?);
    Ok(SecretKey::from_seed(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        let key = create_key_file(&path).unwrap();
        assert_eq!(read_key_file(&path).unwrap().public_key(), key.public_key());
        assert!(create_key_file(&path).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("bad"), "icaze-device-key-v1 AAAA").unwrap();
        assert!(matches!(read_key_file(&dir.path().join("bad")), Err(DeviceError::KeyFile(_))));
    }
}
