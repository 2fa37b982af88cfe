//! Value types shared by the driver, statistics and UI layers: identifiers of connections and
//! domains, and domain run states.

use std::fmt;
use std::str::FromStr;

/// Identifies one connection for the lifetime of the process (never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// A libvirt domain UUID, kept as 16 bytes (cheap to copy, hash and store per sample).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainUuid(pub [u8; 16]);

impl fmt::Debug for DomainUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainUuid({self})")
    }
}

impl fmt::Display for DomainUuid {
    /// The canonical 8-4-4-4-12 lower-case form libvirt prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// A string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUuid(pub String);

impl fmt::Display for InvalidUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "“{}” is not a UUID", self.0)
    }
}

impl std::error::Error for InvalidUuid {}

impl FromStr for DomainUuid {
    type Err = InvalidUuid;

    /// Accepts 32 hex digits with or without dashes, in either case (libvirt accepts both).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
        if digits.len() != 32 {
            return Err(InvalidUuid(text.to_owned()));
        }
        let mut bytes = [0u8; 16];
        for (i, pair) in digits.chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).map_err(|_| InvalidUuid(text.to_owned()))?;
            bytes[i] = u8::from_str_radix(pair, 16).map_err(|_| InvalidUuid(text.to_owned()))?;
        }
        Ok(Self(bytes))
    }
}

/// A domain's run state, as libvirt reports it (`virDomainState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DomainState {
    NoState,
    Running,
    Blocked,
    Paused,
    ShuttingDown,
    ShutOff,
    Crashed,
    PmSuspended,
}

impl DomainState {
    /// Maps libvirt's numeric `virDomainState`; unknown future values read as `NoState`.
    pub fn from_libvirt(state: u32) -> Self {
        match state {
            1 => Self::Running,
            2 => Self::Blocked,
            3 => Self::Paused,
            4 => Self::ShuttingDown,
            5 => Self::ShutOff,
            6 => Self::Crashed,
            7 => Self::PmSuspended,
            _ => Self::NoState,
        }
    }

    /// Whether the domain has a running (or paused) QEMU/hypervisor process behind it.
    pub fn is_active(self) -> bool {
        !matches!(self, Self::ShutOff | Self::Crashed | Self::NoState)
    }

    /// Whether the guest is executing (consumes CPU and produces I/O).
    pub fn is_running(self) -> bool {
        matches!(self, Self::Running | Self::Blocked | Self::ShuttingDown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_round_trips_with_and_without_dashes() {
        let text = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0";
        let uuid: DomainUuid = text.parse().unwrap();
        assert_eq!(uuid.to_string(), text);
        let plain: DomainUuid = "4DEA22B31D52D8F32516782E98AB3FA0".parse().unwrap();
        assert_eq!(plain, uuid);
    }

    #[test]
    fn bad_uuids_are_rejected() {
        assert!("".parse::<DomainUuid>().is_err());
        assert!(
            "4dea22b3-1d52-d8f3-2516-782e98ab3fa"
                .parse::<DomainUuid>()
                .is_err()
        );
        assert!(
            "zzea22b3-1d52-d8f3-2516-782e98ab3fa0"
                .parse::<DomainUuid>()
                .is_err()
        );
        assert!(
            "4dea22b3-1d52-d8f3-2516-782e98ab3fé"
                .parse::<DomainUuid>()
                .is_err()
        );
    }

    #[test]
    fn libvirt_states_map() {
        assert_eq!(DomainState::from_libvirt(1), DomainState::Running);
        assert_eq!(DomainState::from_libvirt(5), DomainState::ShutOff);
        assert_eq!(DomainState::from_libvirt(99), DomainState::NoState);
        assert!(DomainState::Paused.is_active());
        assert!(!DomainState::Paused.is_running());
    }
}
