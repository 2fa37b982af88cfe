//! The libvirt side of every domain, volume and console command: plain blocking functions run
//! on the connection's worker thread. After a change, the domain is re-read so the consumer
//! gets a `DomainChanged` even from drivers that send no event for it.

#![forbid(unsafe_code)]

use std::net::IpAddr;
use std::os::fd::OwnedFd;

use virt::domain::Domain;
use virt::stream::Stream;
use virt::sys;

use crate::driver::error::{DriverError, DriverResult, check_text};
use crate::driver::ffi;
use crate::driver::inventory::{self, DomainInfo};
use crate::driver::libvirt::Worker;
use crate::i18n::gettext;
use crate::model::DomainUuid;

/// Which definition a change applies to (`VIR_DOMAIN_AFFECT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The running domain if it runs, else its persistent definition.
    #[default]
    Current,
    /// The running domain only.
    Live,
    /// The persistent definition only (takes effect at next boot).
    Config,
    /// Both the running domain and its persistent definition.
    LiveAndConfig,
}

impl Scope {
    fn flags(self) -> u32 {
        match self {
            Self::Current => sys::VIR_DOMAIN_AFFECT_CURRENT,
            Self::Live => sys::VIR_DOMAIN_AFFECT_LIVE,
            Self::Config => sys::VIR_DOMAIN_AFFECT_CONFIG,
            Self::LiveAndConfig => sys::VIR_DOMAIN_AFFECT_LIVE | sys::VIR_DOMAIN_AFFECT_CONFIG,
        }
    }
}

/// Options of `domain_xml` (`VIR_DOMAIN_XML_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct XmlFlags {
    /// The persistent definition rather than the running one.
    pub inactive: bool,
    /// Include security-sensitive data (e.g. VNC passwords).
    pub secure: bool,
}

/// A screenshot of a domain's display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screenshot {
    /// The image format libvirt chose (e.g. `image/x-portable-pixmap`, `image/png`).
    pub mime_type: String,
    pub data: Vec<u8>,
}

/// Where guest addresses were learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressSource {
    /// The DHCP leases of a libvirt network.
    Lease,
    /// The QEMU guest agent.
    Agent,
}

/// One address of a guest interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestAddress {
    pub address: IpAddr,
    pub prefix: u32,
}

/// One guest network interface with its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestInterface {
    pub name: String,
    pub hwaddr: Option<String>,
    pub addresses: Vec<GuestAddress>,
    pub source: AddressSource,
}

/// A storage volume found by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub name: String,
    pub path: String,
    pub key: String,
    pub pool: Option<String>,
    /// `virStorageVolType` (0 file, 1 block, 2 dir, 3 network, 4 netdir, 5 ploop).
    pub kind: u32,
    /// Bytes.
    pub capacity: u64,
    pub allocation: u64,
}

/// Key code sets for `send_key` (`virKeycodeSet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCodeSet {
    Linux,
    Xt,
    AtSet1,
    AtSet2,
    AtSet3,
    Osx,
    XtKbd,
    Usb,
    Win32,
    Qnum,
}

impl KeyCodeSet {
    fn raw(self) -> u32 {
        match self {
            Self::Linux => sys::VIR_KEYCODE_SET_LINUX,
            Self::Xt => sys::VIR_KEYCODE_SET_XT,
            Self::AtSet1 => sys::VIR_KEYCODE_SET_ATSET1,
            Self::AtSet2 => sys::VIR_KEYCODE_SET_ATSET2,
            Self::AtSet3 => sys::VIR_KEYCODE_SET_ATSET3,
            Self::Osx => sys::VIR_KEYCODE_SET_OSX,
            Self::XtKbd => sys::VIR_KEYCODE_SET_XT_KBD,
            Self::Usb => sys::VIR_KEYCODE_SET_USB,
            Self::Win32 => sys::VIR_KEYCODE_SET_WIN32,
            Self::Qnum => sys::VIR_KEYCODE_SET_QNUM,
        }
    }
}

/// A simple state action on one domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DomainAction {
    Start,
    Shutdown,
    Reboot,
    Reset,
    ForceOff,
    Suspend,
    Resume,
    ManagedSave,
    DiscardManagedSave,
}

/// Runs `f` on the domain, then re-reads and reports it.
fn change<T>(
    worker: &mut Worker,
    uuid: DomainUuid,
    f: impl FnOnce(&Domain) -> Result<T, virt::error::Error>,
) -> DriverResult<T> {
    let domain = worker.domain(uuid)?;
    let value = f(&domain)?;
    worker.refresh_domain(uuid);
    Ok(value)
}

pub(crate) fn domain_action(
    worker: &mut Worker,
    uuid: DomainUuid,
    action: DomainAction,
) -> DriverResult<()> {
    change(worker, uuid, |domain| match action {
        DomainAction::Start => domain.create(),
        DomainAction::Shutdown => domain.shutdown(),
        DomainAction::Reboot => domain.reboot(sys::VIR_DOMAIN_REBOOT_DEFAULT),
        DomainAction::Reset => domain.reset(),
        DomainAction::ForceOff => domain.destroy(),
        DomainAction::Suspend => domain.suspend(),
        DomainAction::Resume => domain.resume(),
        DomainAction::ManagedSave => domain.managed_save(0),
        DomainAction::DiscardManagedSave => domain.managed_save_remove(0),
    })
}

pub(crate) fn set_autostart(worker: &mut Worker, uuid: DomainUuid, on: bool) -> DriverResult<()> {
    change(worker, uuid, |domain| domain.set_autostart(on))
}

/// Sets current (balloon) or, with `maximum`, maximum memory in KiB.
pub(crate) fn set_memory(
    worker: &mut Worker,
    uuid: DomainUuid,
    kib: u64,
    scope: Scope,
    maximum: bool,
) -> DriverResult<()> {
    let mut flags = scope.flags();
    if maximum {
        flags |= sys::VIR_DOMAIN_MEM_MAXIMUM;
    }
    change(worker, uuid, |domain| domain.set_memory_flags(kib, flags))
}

/// Sets the vCPU count or, with `maximum`, the maximum vCPU count.
pub(crate) fn set_vcpus(
    worker: &mut Worker,
    uuid: DomainUuid,
    count: u32,
    scope: Scope,
    maximum: bool,
) -> DriverResult<()> {
    let mut flags = scope.flags();
    if maximum {
        flags |= sys::VIR_DOMAIN_VCPU_MAXIMUM;
    }
    change(worker, uuid, |domain| domain.set_vcpus_flags(count, flags))
}

pub(crate) fn domain_xml(
    worker: &mut Worker,
    uuid: DomainUuid,
    options: XmlFlags,
) -> DriverResult<String> {
    let mut flags = 0;
    if options.inactive {
        flags |= sys::VIR_DOMAIN_XML_INACTIVE;
    }
    if options.secure {
        flags |= sys::VIR_DOMAIN_XML_SECURE;
    }
    Ok(worker.domain(uuid)?.xml_desc(flags)?)
}

/// Whether libvirt rejected exactly `flag` as an unsupported flag (libvirt words this as
/// "unsupported flags (0x1) in function …"; the hex part survives translation).
fn rejected_flag(error: &DriverError, flag: u32) -> bool {
    match error {
        DriverError::Libvirt { code, message, .. } => {
            (*code as u32 == sys::VIR_ERR_INVALID_ARG || *code as u32 == sys::VIR_ERR_NO_SUPPORT)
                && message.contains(&format!("(0x{flag:x})"))
        }
        _ => false,
    }
}

/// Defines a domain from XML with libvirt's schema validation; returns it as read back.
pub(crate) fn define_xml(worker: &mut Worker, xml: &str) -> DriverResult<DomainInfo> {
    check_text(xml, &gettext("domain XML"))?;
    let conn = worker.conn()?;
    let defined = conn.define_domain_xml_flags(xml, sys::VIR_DOMAIN_DEFINE_VALIDATE);
    let domain = match defined {
        Ok(domain) => domain,
        Err(error) => {
            let error = DriverError::from_libvirt(&error);
            // A driver that cannot validate still defines (and checks what it can).
            if rejected_flag(&error, sys::VIR_DOMAIN_DEFINE_VALIDATE) {
                conn.define_domain_xml(xml)?
            } else {
                return Err(error);
            }
        }
    };
    let uuid = DomainUuid(*domain.uuid()?.as_bytes());
    let (info, _) = inventory::read_domain(&domain)?;
    worker.refresh_domain(uuid);
    Ok(info)
}

/// Undefines with the flags virt-manager uses (managed save image, snapshot and checkpoint
/// metadata, NVRAM), dropping flags a driver rejects. Dropping a flag is safe: libvirt refuses
/// to undefine a domain that still has a managed save image or NVRAM without the flag.
pub(crate) fn undefine(worker: &mut Worker, uuid: DomainUuid) -> DriverResult<()> {
    let domain = worker.domain(uuid)?;
    let full = sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
        | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
        | sys::VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA
        | sys::VIR_DOMAIN_UNDEFINE_NVRAM;
    let steps = [
        full,
        full & !sys::VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA,
        sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
        sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE,
    ];
    let mut last_error = None;
    for flags in steps {
        match domain.undefine_flags(flags) {
            Ok(()) => {
                last_error = None;
                break;
            }
            Err(error) => {
                let error = DriverError::from_libvirt(&error);
                if !error.is_invalid_arg() {
                    return Err(error);
                }
                last_error = Some(error);
            }
        }
    }
    if last_error.is_some() {
        // Drivers without virDomainUndefineFlags at all.
        domain.undefine()?;
    }
    worker.refresh_domain(uuid);
    Ok(())
}

pub(crate) fn rename(worker: &mut Worker, uuid: DomainUuid, new_name: &str) -> DriverResult<()> {
    check_text(new_name, &gettext("name"))?;
    change(worker, uuid, |domain| domain.rename(new_name, 0))
}

/// Sets (or with `None`/empty, removes) the title or the description.
pub(crate) fn set_metadata(
    worker: &mut Worker,
    uuid: DomainUuid,
    title: bool,
    text: Option<&str>,
    scope: Scope,
) -> DriverResult<()> {
    if let Some(text) = text {
        check_text(text, &gettext("text"))?;
    }
    let kind = if title {
        sys::VIR_DOMAIN_METADATA_TITLE
    } else {
        sys::VIR_DOMAIN_METADATA_DESCRIPTION
    } as i32;
    let text = text.filter(|text| !text.is_empty());
    change(worker, uuid, |domain| {
        domain.set_metadata(kind, text, None, None, scope.flags())
    })
}

pub(crate) fn open_graphics_fd(
    worker: &mut Worker,
    uuid: DomainUuid,
    index: u32,
    skip_auth: bool,
) -> DriverResult<OwnedFd> {
    let domain = worker.domain(uuid)?;
    let flags = if skip_auth {
        sys::VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH
    } else {
        0
    };
    Ok(ffi::graphics_fd(&domain, index, flags)?)
}

pub(crate) fn send_key(
    worker: &mut Worker,
    uuid: DomainUuid,
    codeset: KeyCodeSet,
    hold_ms: u32,
    keycodes: &[u32],
) -> DriverResult<()> {
    let domain = worker.domain(uuid)?;
    let mut keycodes = keycodes.to_vec();
    let count = i32::try_from(keycodes.len()).map_err(|_| DriverError::InvalidInput {
        message: gettext("Too many keys at once"),
    })?;
    // libvirt reads `count` codes from the pointer and does not keep it.
    domain.send_key(codeset.raw(), hold_ms, keycodes.as_mut_ptr(), count, 0)?;
    Ok(())
}

pub(crate) fn screenshot(
    worker: &mut Worker,
    uuid: DomainUuid,
    screen: u32,
) -> DriverResult<Screenshot> {
    let domain = worker.domain(uuid)?;
    let stream = Stream::new(worker.conn()?, 0)?;
    let mime_type = domain.screenshot(&stream, screen, 0)?;
    let mut data = Vec::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = stream.recv(&mut buffer)?;
        let Ok(read) = usize::try_from(read) else {
            break;
        };
        if read == 0 {
            break;
        }
        data.extend_from_slice(&buffer[..read.min(buffer.len())]);
    }
    stream.finish()?;
    Ok(Screenshot { mime_type, data })
}

/// Guest addresses from DHCP leases and the guest agent; a source that fails (no agent, no
/// libvirt network) is skipped. Only a missing domain is an error.
pub(crate) fn guest_addresses(
    worker: &mut Worker,
    uuid: DomainUuid,
) -> DriverResult<Vec<GuestInterface>> {
    let domain = worker.domain(uuid)?;
    let mut interfaces = Vec::new();
    for (source, raw_source) in [
        (
            AddressSource::Lease,
            sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
        ),
        (
            AddressSource::Agent,
            sys::VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
        ),
    ] {
        match ffi::interface_addresses(&domain, raw_source) {
            Ok(found) => interfaces.extend(found.into_iter().map(|raw| {
                GuestInterface {
                    name: raw.name,
                    hwaddr: raw.hwaddr,
                    addresses: raw
                        .addresses
                        .into_iter()
                        .filter_map(|(_, address, prefix)| {
                            Some(GuestAddress {
                                address: address.parse().ok()?,
                                prefix,
                            })
                        })
                        .collect(),
                    source,
                }
            })),
            Err(error) => {
                let error = DriverError::from_libvirt(&error);
                if matches!(error, DriverError::NotFound { .. }) {
                    return Err(error);
                }
                log::debug!("guest addresses from {source:?}: {error}");
            }
        }
    }
    Ok(interfaces)
}

pub(crate) fn volume_by_path(worker: &mut Worker, path: &str) -> DriverResult<VolumeInfo> {
    check_text(path, &gettext("path"))?;
    let volume = worker.conn()?.lookup_storage_vol_by_path(path)?;
    let info = volume.info()?;
    Ok(VolumeInfo {
        name: volume.name()?,
        path: volume.path().unwrap_or_else(|_| path.to_owned()),
        key: volume.key().unwrap_or_default(),
        pool: volume
            .lookup_storage_pool()
            .ok()
            .and_then(|pool| pool.name().ok()),
        kind: info.kind,
        capacity: info.capacity,
        allocation: info.allocation,
    })
}

pub(crate) fn delete_volume(worker: &mut Worker, path: &str) -> DriverResult<()> {
    check_text(path, &gettext("path"))?;
    let volume = worker.conn()?.lookup_storage_vol_by_path(path)?;
    volume.delete(0)?;
    Ok(())
}
