//! Raw libvirt calls that virt 0.5 does not wrap, or wraps wrongly, outside the event machinery:
//! opening with a credential callback that can cancel, reading bulk statistics records without
//! copying or leaking them, `virDomainGetState` with its error, taking ownership of a graphics
//! descriptor, and guest interface addresses freed the way libvirt documents.
//!
//! With `events.rs`, this is the only module of the driver that contains `unsafe`; every other
//! driver module forbids it. Each block states why it is sound.
//!
//! Per-device statistics are called with device names kept as C strings between ticks (virt
//! 0.5 allocates a new one on every call, thousands per tick on a large test-driver fleet).
//!
//! Why not virt 0.5's wrappers: `Connect::open_auth` takes a plain `fn` (no per-connection
//! context) whose callback cannot report a cancelled prompt; `Connect::all_domain_stats` frees
//! the record array with `free()` instead of `virDomainStatsRecordListFree`, leaking every
//! record's parameters on every tick, and gives no safe way to read them;
//! `Domain::state` discards the error of `virDomainGetState`; `Domain::interface_addresses`
//! leaks each `virDomainInterface`.

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::Error;
use virt::sys;

/// One credential libvirt asks for during `virConnectOpenAuth`, and the answer to give.
#[derive(Debug, Clone)]
pub(crate) struct CredentialSlot {
    /// `VIR_CRED_*`.
    pub kind: u32,
    pub prompt: String,
    pub challenge: Option<String>,
    pub default: Option<String>,
    /// What to answer; `None` leaves libvirt's result empty.
    pub answer: Option<String>,
}

/// The credential types Hangar's callback answers: virsh's set (language and client nonce are
/// never asked of an end user). Not `VIR_CRED_USERNAME`: offering it makes SASL also ask for an
/// "authorization name" besides the "authentication name", an extra field that users leave
/// empty or fill with the same name (virsh and virt-manager do not offer it either).
const OFFERED_CREDENTIALS: [c_int; 6] = [
    sys::VIR_CRED_AUTHNAME as c_int,
    sys::VIR_CRED_PASSPHRASE as c_int,
    sys::VIR_CRED_ECHOPROMPT as c_int,
    sys::VIR_CRED_NOECHOPROMPT as c_int,
    sys::VIR_CRED_REALM as c_int,
    sys::VIR_CRED_EXTERNAL as c_int,
];

type AskFn<'a> = &'a mut dyn FnMut(&mut [CredentialSlot]) -> bool;

/// `virConnectOpenAuth` with a callback that fills `CredentialSlot`s; `ask` returning `false`
/// cancels the attempt (libvirt then fails the open). Blocks while `ask` runs.
pub(crate) fn open_auth(uri: &str, ask: AskFn<'_>) -> Result<Connect, Error> {
    let uri = CString::new(uri)?;
    let mut credential_types = OFFERED_CREDENTIALS;
    // A fat `&mut dyn FnMut` does not fit in a `void *`: pass a pointer to it instead.
    let mut ask_ref: AskFn<'_> = ask;
    let mut auth = sys::virConnectAuth {
        credtype: credential_types.as_mut_ptr(),
        ncredtype: credential_types.len() as c_uint,
        cb: Some(auth_trampoline),
        cbdata: (&mut ask_ref as *mut AskFn<'_>).cast::<c_void>(),
    };
    // SAFETY: `uri` is a NUL-terminated string, `auth` and everything it points to
    // (`credential_types`, `ask_ref`) live on this stack frame until the call returns, and
    // libvirt invokes `cb` only synchronously from inside this call, on this thread.
    let raw = unsafe { sys::virConnectOpenAuth(uri.as_ptr(), &mut auth, 0) };
    if raw.is_null() {
        return Err(Error::last_error());
    }
    // SAFETY: a non-null result is a new connection reference that we now own.
    Ok(unsafe { Connect::from_ptr(raw) })
}

/// Copies a C string libvirt owns, `None` for NULL.
///
/// # Safety
/// `text` must be NULL or point to a NUL-terminated string valid for the duration of the call.
unsafe fn opt_string(text: *const c_char) -> Option<String> {
    if text.is_null() {
        None
    } else {
        // SAFETY: non-null and NUL-terminated per this function's contract.
        Some(
            unsafe { CStr::from_ptr(text) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

unsafe extern "C" fn auth_trampoline(
    credentials: sys::virConnectCredentialPtr,
    count: c_uint,
    cbdata: *mut c_void,
) -> c_int {
    if cbdata.is_null() {
        return -1;
    }
    // SAFETY: `cbdata` is the `&mut AskFn` that `open_auth` passed; that frame is still
    // blocked in `virConnectOpenAuth`, so the reference is live and nobody else uses it.
    let ask = unsafe { &mut *cbdata.cast::<AskFn<'_>>() };
    let credentials: &mut [sys::virConnectCredential] = if credentials.is_null() || count == 0 {
        &mut []
    } else {
        // SAFETY: libvirt passes an array of `count` credentials it owns for this call.
        unsafe { std::slice::from_raw_parts_mut(credentials, count as usize) }
    };
    let mut slots: Vec<CredentialSlot> = credentials
        .iter()
        .map(|credential| CredentialSlot {
            kind: credential.type_ as u32,
            // SAFETY: libvirt's prompt/challenge/default are NULL or valid C strings.
            prompt: unsafe { opt_string(credential.prompt) }.unwrap_or_default(),
            challenge: unsafe { opt_string(credential.challenge) },
            default: unsafe { opt_string(credential.defresult) },
            answer: None,
        })
        .collect();
    // A panic must not unwind into C; treat it as a cancelled prompt.
    let answered = catch_unwind(AssertUnwindSafe(|| ask(&mut slots))).unwrap_or(false);
    if !answered {
        return -1;
    }
    for (credential, slot) in credentials.iter_mut().zip(slots) {
        let Some(answer) = slot.answer else { continue };
        let mut bytes = answer.into_bytes();
        if bytes.contains(&0) {
            wipe(&mut bytes);
            return -1;
        }
        // SAFETY: libvirt frees `result` with free(), so it must come from malloc.
        let buffer = unsafe { libc::malloc(bytes.len() + 1) }.cast::<u8>();
        if buffer.is_null() {
            wipe(&mut bytes);
            return -1;
        }
        // SAFETY: `buffer` has room for the bytes plus the terminating NUL.
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), buffer, bytes.len());
            *buffer.add(bytes.len()) = 0;
        }
        credential.result = buffer.cast::<c_char>();
        credential.resultlen = bytes.len() as c_uint;
        wipe(&mut bytes);
    }
    0
}

/// Overwrites a copy of a secret before its memory is released.
fn wipe(bytes: &mut [u8]) {
    for byte in bytes.iter_mut() {
        // Volatile so the compiler cannot drop the stores to memory about to be freed.
        // SAFETY: `byte` is a valid, exclusive reference.
        unsafe { ptr::write_volatile(byte, 0) };
    }
}

/// `virDomainGetState`: (state, reason) as libvirt's raw numbers.
pub(crate) fn domain_state(domain: &Domain) -> Result<(u32, i32), Error> {
    let mut state: c_int = -1;
    let mut reason: c_int = -1;
    // SAFETY: `domain` holds a valid reference; both out-pointers point to live locals.
    let rc = unsafe { sys::virDomainGetState(domain.as_ptr(), &mut state, &mut reason, 0) };
    if rc < 0 {
        return Err(Error::last_error());
    }
    Ok((state.max(0) as u32, reason))
}

/// One typed parameter's value, borrowed from the record it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum StatValue<'a> {
    Int(i32),
    UInt(u32),
    LLong(i64),
    ULLong(u64),
    Double(f64),
    Bool(bool),
    Str(&'a str),
}

impl StatValue<'_> {
    /// The value as an unsigned counter; negative numbers, floats and text are not counters.
    pub(crate) fn as_u64(self) -> Option<u64> {
        match self {
            Self::Int(v) => u64::try_from(v).ok(),
            Self::UInt(v) => Some(u64::from(v)),
            Self::LLong(v) => u64::try_from(v).ok(),
            Self::ULLong(v) => Some(v),
            Self::Double(_) | Self::Bool(_) | Self::Str(_) => None,
        }
    }
}

/// The parameters of one bulk statistics record, valid while the visitor runs.
#[derive(Clone, Copy)]
pub(crate) struct StatParams<'a> {
    params: &'a [sys::virTypedParameter],
}

impl<'a> StatParams<'a> {
    /// Every parameter whose name and value decode (unknown types are skipped).
    pub(crate) fn iter(self) -> impl Iterator<Item = (&'a str, StatValue<'a>)> + 'a {
        self.params.iter().filter_map(decode_param)
    }
}

fn decode_param(param: &sys::virTypedParameter) -> Option<(&str, StatValue<'_>)> {
    // SAFETY: `field` is a fixed array of c_char (same layout as u8); we read exactly its length.
    let field =
        unsafe { std::slice::from_raw_parts(param.field.as_ptr().cast::<u8>(), param.field.len()) };
    let name = CStr::from_bytes_until_nul(field).ok()?.to_str().ok()?;
    // SAFETY: `type_` says which union member libvirt wrote; only that member is read. A
    // string member is NULL or a NUL-terminated string owned by the record.
    let value = unsafe {
        match param.type_ as u32 {
            sys::VIR_TYPED_PARAM_INT => StatValue::Int(param.value.i),
            sys::VIR_TYPED_PARAM_UINT => StatValue::UInt(param.value.ui),
            sys::VIR_TYPED_PARAM_LLONG => StatValue::LLong(param.value.l),
            sys::VIR_TYPED_PARAM_ULLONG => StatValue::ULLong(param.value.ul),
            sys::VIR_TYPED_PARAM_DOUBLE => StatValue::Double(param.value.d),
            sys::VIR_TYPED_PARAM_BOOLEAN => StatValue::Bool(param.value.b != 0),
            sys::VIR_TYPED_PARAM_STRING => {
                if param.value.s.is_null() {
                    return None;
                }
                StatValue::Str(CStr::from_ptr(param.value.s).to_str().ok()?)
            }
            _ => return None,
        }
    };
    Some((name, value))
}

/// `virConnectGetAllDomainStats`: calls `visit(uuid, params)` for each domain's record, then
/// frees all records. Returns the number of records.
pub(crate) fn all_domain_stats(
    conn: &Connect,
    groups: u32,
    flags: u32,
    visit: &mut dyn FnMut([u8; 16], StatParams<'_>),
) -> Result<usize, Error> {
    let mut records: *mut sys::virDomainStatsRecordPtr = ptr::null_mut();
    // SAFETY: `conn` holds a valid reference; `records` receives a NULL-terminated array that
    // we own from here on.
    let count = unsafe {
        sys::virConnectGetAllDomainStats(conn.as_ptr(), groups as c_uint, &mut records, flags)
    };
    if count < 0 {
        return Err(Error::last_error());
    }
    if records.is_null() {
        return Ok(0);
    }
    // Free the records even if a visitor panics.
    struct RecordList(*mut sys::virDomainStatsRecordPtr);
    impl Drop for RecordList {
        fn drop(&mut self) {
            // SAFETY: the array came from virConnectGetAllDomainStats and is freed only here.
            unsafe { sys::virDomainStatsRecordListFree(self.0) };
        }
    }
    let list = RecordList(records);
    for index in 0..count as usize {
        // SAFETY: the array holds `count` valid record pointers before its NULL terminator.
        let record = unsafe { *list.0.add(index) };
        if record.is_null() {
            break;
        }
        // SAFETY: `record` is valid until the list is freed after this loop.
        let record = unsafe { &*record };
        let mut uuid = [0u8; 16];
        // SAFETY: `record.dom` is a valid domain reference owned by the record; `uuid` has
        // VIR_UUID_BUFLEN (16) bytes.
        if unsafe { sys::virDomainGetUUID(record.dom, uuid.as_mut_ptr()) } < 0 {
            continue;
        }
        let params = if record.params.is_null() || record.nparams <= 0 {
            &[][..]
        } else {
            // SAFETY: libvirt allocated `nparams` parameters at `params`, owned by the record.
            unsafe { std::slice::from_raw_parts(record.params, record.nparams as usize) }
        };
        visit(uuid, StatParams { params });
    }
    drop(list);
    Ok(count as usize)
}

/// `virDomainBlockStats` for one disk (target name such as `vda`).
pub(crate) fn block_stats(
    domain: &Domain,
    disk: &CStr,
) -> Result<sys::virDomainBlockStatsStruct, Error> {
    let mut stats = sys::virDomainBlockStatsStruct {
        rd_req: -1,
        rd_bytes: -1,
        wr_req: -1,
        wr_bytes: -1,
        errs: -1,
    };
    // SAFETY: `domain` is valid, `disk` is NUL-terminated, and libvirt writes at most `size`
    // bytes into `stats`, which is exactly that large.
    let rc = unsafe {
        sys::virDomainBlockStats(
            domain.as_ptr(),
            disk.as_ptr(),
            &mut stats,
            std::mem::size_of::<sys::virDomainBlockStatsStruct>(),
        )
    };
    if rc < 0 {
        return Err(Error::last_error());
    }
    Ok(stats)
}

/// `virDomainInterfaceStats` for one interface (target device name or MAC address).
pub(crate) fn interface_stats(
    domain: &Domain,
    device: &CStr,
) -> Result<sys::virDomainInterfaceStatsStruct, Error> {
    let mut stats = sys::virDomainInterfaceStatsStruct {
        rx_bytes: -1,
        rx_packets: -1,
        rx_errs: -1,
        rx_drop: -1,
        tx_bytes: -1,
        tx_packets: -1,
        tx_errs: -1,
        tx_drop: -1,
    };
    // SAFETY: as for block_stats.
    let rc = unsafe {
        sys::virDomainInterfaceStats(
            domain.as_ptr(),
            device.as_ptr(),
            &mut stats,
            std::mem::size_of::<sys::virDomainInterfaceStatsStruct>(),
        )
    };
    if rc < 0 {
        return Err(Error::last_error());
    }
    Ok(stats)
}

/// `virDomainOpenGraphicsFD`, as an owned descriptor (closed when dropped).
pub(crate) fn graphics_fd(domain: &Domain, index: u32, flags: u32) -> Result<OwnedFd, Error> {
    let fd = domain.open_graphics_fd(index, flags)?;
    let fd = RawFd::try_from(fd).map_err(|_| Error::last_error())?;
    // SAFETY: on success libvirt returns a new descriptor that belongs to the caller and that
    // nothing else in this process refers to.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// One guest network interface and its addresses, as libvirt reported them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawInterface {
    pub name: String,
    pub hwaddr: Option<String>,
    /// (`VIR_IP_ADDR_TYPE_*`, address, prefix length).
    pub addresses: Vec<(i32, String, u32)>,
}

/// `virDomainInterfaceAddresses` from one source (`VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_*`).
pub(crate) fn interface_addresses(
    domain: &Domain,
    source: u32,
) -> Result<Vec<RawInterface>, Error> {
    let mut interfaces: *mut sys::virDomainInterfacePtr = ptr::null_mut();
    // SAFETY: `domain` is valid; on success `interfaces` receives an array we must free.
    let count = unsafe {
        sys::virDomainInterfaceAddresses(domain.as_ptr(), &mut interfaces, source as c_uint, 0)
    };
    if count < 0 {
        return Err(Error::last_error());
    }
    let mut result = Vec::with_capacity(count as usize);
    if interfaces.is_null() {
        return Ok(result);
    }
    for index in 0..count as usize {
        // SAFETY: the array holds `count` interface pointers.
        let interface = unsafe { *interfaces.add(index) };
        if interface.is_null() {
            continue;
        }
        // SAFETY: `interface` is valid until freed below; its strings are NULL or C strings
        // and `addrs` holds `naddrs` entries.
        unsafe {
            let entry = &*interface;
            let addresses = if entry.addrs.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(entry.addrs, entry.naddrs as usize)
            };
            result.push(RawInterface {
                name: opt_string(entry.name).unwrap_or_default(),
                hwaddr: opt_string(entry.hwaddr),
                addresses: addresses
                    .iter()
                    .filter_map(|address| {
                        Some((address.type_, opt_string(address.addr)?, address.prefix))
                    })
                    .collect(),
            });
            sys::virDomainInterfaceFree(interface);
        }
    }
    // SAFETY: libvirt documents that the array itself is released with free().
    unsafe { libc::free(interfaces.cast::<c_void>()) };
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_reject_negative_and_non_numeric_values() {
        assert_eq!(StatValue::Int(-1).as_u64(), None);
        assert_eq!(StatValue::LLong(7).as_u64(), Some(7));
        assert_eq!(StatValue::ULLong(u64::MAX).as_u64(), Some(u64::MAX));
        assert_eq!(StatValue::Str("vda").as_u64(), None);
    }

    #[test]
    fn bulk_stats_of_the_test_driver_decode() {
        let conn = Connect::open(Some("test:///default")).unwrap();
        let mut seen = Vec::new();
        let count = all_domain_stats(
            &conn,
            sys::VIR_DOMAIN_STATS_STATE,
            0,
            &mut |uuid, params| {
                let state = params
                    .iter()
                    .find(|(name, _)| *name == "state.state")
                    .and_then(|(_, value)| value.as_u64());
                seen.push((uuid, state));
            },
        )
        .unwrap();
        assert_eq!(count, 1);
        assert_eq!(seen[0].1, Some(1), "the default test domain runs");
        let domain = conn.lookup_domain_by_name("test").unwrap();
        assert_eq!(seen[0].0, *domain.uuid().unwrap().as_bytes());
        assert_eq!(domain_state(&domain).unwrap().0, 1);
    }
}
