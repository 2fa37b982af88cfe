//! The typed description of each device kind Hangar knows, read leniently from the device's
//! element: every field is optional, unknown children and attributes are ignored.

use std::fmt;

use serde::Serialize;

use crate::driver::xml::model::{attr, attr_bool, attr_u32, element_kib, parse_u32};
use crate::driver::xml::tree::Element;
use crate::driver::xml::units::parse_kib;

/// Attribute `name` of the first child called `child`.
fn child_attr(element: &Element, child: &str, name: &str) -> Option<String> {
    attr(element.child(child)?, name)
}

/// Where a disk's data lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DiskSource {
    /// No medium (an empty CD-ROM drive) or a source this model does not know.
    None,
    File(String),
    Block(String),
    Dir(String),
    /// A libvirt storage volume.
    Volume {
        pool: String,
        volume: String,
    },
    /// A network block device (`nbd`, `rbd`, `iscsi`, `http`, …).
    Network {
        protocol: Option<String>,
        name: Option<String>,
        hosts: Vec<String>,
    },
}

impl DiskSource {
    /// The local file or device path, if the source is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            DiskSource::File(path) | DiskSource::Block(path) | DiskSource::Dir(path) => Some(path),
            _ => None,
        }
    }

    fn read(disk_type: Option<&str>, source: Option<&Element>) -> DiskSource {
        let Some(source) = source else {
            return DiskSource::None;
        };
        let get = |name| attr(source, name);
        match disk_type {
            Some("block") => get("dev").map_or(DiskSource::None, DiskSource::Block),
            Some("dir") => get("dir").map_or(DiskSource::None, DiskSource::Dir),
            Some("volume") => match (get("pool"), get("volume")) {
                (Some(pool), Some(volume)) => DiskSource::Volume { pool, volume },
                _ => DiskSource::None,
            },
            Some("network") => DiskSource::Network {
                protocol: get("protocol"),
                name: get("name"),
                hosts: source
                    .children_named("host")
                    .filter_map(|host| {
                        let name = attr(host, "name").or_else(|| attr(host, "socket"))?;
                        Some(match attr(host, "port") {
                            Some(port) => format!("{name}:{port}"),
                            None => name,
                        })
                    })
                    .collect(),
            },
            // `file`, or a missing type: libvirt's default is a file.
            _ => get("file").map_or(DiskSource::None, DiskSource::File),
        }
    }
}

/// `<disk>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disk {
    /// `file`, `block`, `dir`, `network`, `volume`, `nvme`, …
    pub disk_type: Option<String>,
    /// `disk`, `cdrom`, `floppy` or `lun` (libvirt's default is `disk`).
    pub device: Option<String>,
    pub driver_name: Option<String>,
    /// The image format: `raw`, `qcow2`, …
    pub driver_type: Option<String>,
    pub source: DiskSource,
    /// Paths of the backing chain below the source (`<backingStore>`), top first.
    pub backing_paths: Vec<String>,
    pub target_dev: Option<String>,
    pub bus: Option<String>,
    pub readonly: bool,
    pub shareable: bool,
    pub serial: Option<String>,
}

impl Disk {
    pub(crate) fn read(disk: &Element) -> Disk {
        let disk_type = attr(disk, "type");
        let mut backing_paths = Vec::new();
        let mut backing = disk.child("backingStore");
        // The chain is a nesting of <backingStore>; walking it is a loop, not recursion.
        while let Some(store) = backing {
            let store_type = attr(store, "type");
            let source = DiskSource::read(store_type.as_deref(), store.child("source"));
            if let Some(path) = source.path() {
                backing_paths.push(path.to_owned());
            }
            backing = store.child("backingStore");
        }
        Disk {
            source: DiskSource::read(disk_type.as_deref(), disk.child("source")),
            disk_type,
            device: attr(disk, "device"),
            driver_name: child_attr(disk, "driver", "name"),
            driver_type: child_attr(disk, "driver", "type"),
            backing_paths,
            target_dev: child_attr(disk, "target", "dev"),
            bus: child_attr(disk, "target", "bus"),
            readonly: disk.child("readonly").is_some(),
            shareable: disk.child("shareable").is_some(),
            serial: disk.child_text("serial"),
        }
    }

    /// The device type with libvirt's default applied.
    pub fn device_or_default(&self) -> &str {
        self.device.as_deref().unwrap_or("disk")
    }
}

/// `<interface>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interface {
    /// `network`, `bridge`, `direct`, `user`, `ethernet`, …
    pub interface_type: Option<String>,
    pub source_network: Option<String>,
    pub source_bridge: Option<String>,
    /// The host device of a `direct` (macvtap) or `hostdev` interface.
    pub source_dev: Option<String>,
    /// The macvtap mode: `bridge`, `vepa`, `private`, `passthrough`.
    pub source_mode: Option<String>,
    pub mac: Option<String>,
    pub model: Option<String>,
    /// The host-side device (`vnet0`), present for running domains.
    pub target_dev: Option<String>,
    /// `up` or `down`.
    pub link_state: Option<String>,
}

impl Interface {
    pub(crate) fn read(interface: &Element) -> Interface {
        Interface {
            interface_type: attr(interface, "type"),
            source_network: child_attr(interface, "source", "network"),
            source_bridge: child_attr(interface, "source", "bridge"),
            source_dev: child_attr(interface, "source", "dev"),
            source_mode: child_attr(interface, "source", "mode"),
            mac: child_attr(interface, "mac", "address"),
            model: child_attr(interface, "model", "type"),
            target_dev: child_attr(interface, "target", "dev"),
            link_state: child_attr(interface, "link", "state"),
        }
    }
}

/// One `<listen>` child of `<graphics>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphicsListen {
    /// `address`, `network`, `socket` or `none`.
    pub listen_type: Option<String>,
    pub address: Option<String>,
    pub network: Option<String>,
    pub socket: Option<String>,
}

/// `<graphics>`. The password itself is never read into the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Graphics {
    /// `vnc`, `spice`, `rdp`, `sdl`, `dbus`, `egl-headless`, …
    pub graphics_type: Option<String>,
    /// The port; `-1` asks for automatic allocation (live XML then shows the real one).
    pub port: Option<i32>,
    pub tls_port: Option<i32>,
    pub autoport: Option<bool>,
    /// The legacy `listen` attribute.
    pub listen_attribute: Option<String>,
    pub listens: Vec<GraphicsListen>,
    /// A UNIX socket (`socket='…'` on VNC).
    pub socket: Option<String>,
    /// Whether a password is set (`passwd`), without its value.
    pub has_password: bool,
    pub keymap: Option<String>,
}

impl Graphics {
    pub(crate) fn read(graphics: &Element) -> Graphics {
        let port = |name| attr(graphics, name).and_then(|p| p.parse::<i32>().ok());
        let listens: Vec<GraphicsListen> = graphics
            .children_named("listen")
            .map(|listen| GraphicsListen {
                listen_type: attr(listen, "type"),
                address: attr(listen, "address"),
                network: attr(listen, "network"),
                socket: attr(listen, "socket"),
            })
            .collect();
        let socket = attr(graphics, "socket").or_else(|| {
            listens
                .iter()
                .find(|listen| listen.listen_type.as_deref() == Some("socket"))
                .and_then(|listen| listen.socket.clone())
        });
        Graphics {
            graphics_type: attr(graphics, "type"),
            port: port("port"),
            tls_port: port("tlsPort"),
            autoport: attr_bool(graphics, "autoport"),
            listen_attribute: attr(graphics, "listen"),
            listens,
            socket,
            has_password: graphics.attr("passwd").is_some(),
            keymap: attr(graphics, "keymap"),
        }
    }

    /// The address the server listens on: the first `<listen>` address, else the attribute.
    pub fn listen_address(&self) -> Option<&str> {
        self.listens
            .iter()
            .find_map(|listen| listen.address.as_deref())
            .or(self.listen_attribute.as_deref())
    }
}

/// `<video>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Video {
    /// `vga`, `qxl`, `virtio`, `cirrus`, `bochs`, `ramfb`, `none`, …
    pub model: Option<String>,
    pub vram_kib: Option<u64>,
    pub ram_kib: Option<u64>,
    pub heads: Option<u32>,
    pub primary: bool,
    pub accel3d: Option<bool>,
}

impl Video {
    pub(crate) fn read(video: &Element) -> Video {
        let model = video.child("model");
        let kib = |name| {
            model
                .and_then(|m| attr(m, name))
                .and_then(|v| parse_kib(&v, None))
        };
        Video {
            model: model.and_then(|m| attr(m, "type")),
            vram_kib: kib("vram"),
            ram_kib: kib("ram"),
            heads: model.and_then(|m| attr_u32(m, "heads")),
            primary: model.and_then(|m| attr_bool(m, "primary")) == Some(true),
            accel3d: model
                .and_then(|m| m.child("acceleration"))
                .and_then(|a| attr_bool(a, "accel3d")),
        }
    }
}

/// A character device: `<serial>`, `<parallel>`, `<console>` or `<channel>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CharDevice {
    /// The host side: `pty`, `file`, `unix`, `tcp`, `spicevmc`, `spiceport`, `qemu-vdagent`, …
    pub char_type: Option<String>,
    /// The guest side: `isa-serial`, `serial`, `virtio`, `guestfwd`, …
    pub target_type: Option<String>,
    /// A channel's name, e.g. `org.qemu.guest_agent.0`.
    pub target_name: Option<String>,
    pub target_port: Option<u32>,
    /// The host path: the file, socket or (for a running pty) `/dev/pts/N`.
    pub source_path: Option<String>,
    pub source_mode: Option<String>,
    pub source_host: Option<String>,
    pub source_service: Option<String>,
}

impl CharDevice {
    pub(crate) fn read(device: &Element) -> CharDevice {
        let source = device.child("source");
        let source_attr = |name| source.and_then(|s| attr(s, name));
        CharDevice {
            char_type: attr(device, "type"),
            target_type: child_attr(device, "target", "type"),
            target_name: child_attr(device, "target", "name"),
            target_port: device.child("target").and_then(|t| attr_u32(t, "port")),
            source_path: source_attr("path")
                .or_else(|| source_attr("channel"))
                .or_else(|| attr(device, "tty")),
            source_mode: source_attr("mode"),
            source_host: source_attr("host"),
            source_service: source_attr("service"),
        }
    }
}

/// `<controller>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Controller {
    /// `usb`, `pci`, `sata`, `ide`, `scsi`, `virtio-serial`, `ccid`, `fdc`, `xenbus`, …
    pub controller_type: Option<String>,
    pub index: Option<u32>,
    pub model: Option<String>,
}

impl Controller {
    pub(crate) fn read(controller: &Element) -> Controller {
        Controller {
            controller_type: attr(controller, "type"),
            index: attr_u32(controller, "index"),
            model: attr(controller, "model"),
        }
    }
}

/// `<sound>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sound {
    pub model: Option<String>,
}

impl Sound {
    pub(crate) fn read(sound: &Element) -> Sound {
        Sound {
            model: attr(sound, "model"),
        }
    }
}

/// `<audio>`: an audio backend on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audio {
    pub id: Option<u32>,
    pub audio_type: Option<String>,
}

impl Audio {
    pub(crate) fn read(audio: &Element) -> Audio {
        Audio {
            id: attr_u32(audio, "id"),
            audio_type: attr(audio, "type"),
        }
    }
}

/// `<input>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Input {
    /// `tablet`, `mouse`, `keyboard`, `passthrough`, `evdev`.
    pub input_type: Option<String>,
    /// `usb`, `ps2`, `virtio`, `xen`.
    pub bus: Option<String>,
}

impl Input {
    pub(crate) fn read(input: &Element) -> Input {
        Input {
            input_type: attr(input, "type"),
            bus: attr(input, "bus"),
        }
    }
}

/// A PCI address `domain:bus:slot.function`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PciAddress {
    pub domain: u32,
    pub bus: u32,
    pub slot: u32,
    pub function: u32,
}

impl PciAddress {
    fn read(address: &Element) -> Option<PciAddress> {
        Some(PciAddress {
            domain: attr_u32(address, "domain").unwrap_or(0),
            bus: attr_u32(address, "bus")?,
            slot: attr_u32(address, "slot")?,
            function: attr_u32(address, "function").unwrap_or(0),
        })
    }
}

impl fmt::Display for PciAddress {
    /// The form `lspci -D` prints: `0000:03:00.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.slot, self.function
        )
    }
}

/// `<hostdev>`: a host device passed through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hostdev {
    /// `subsystem` or `capabilities`.
    pub mode: Option<String>,
    /// `usb`, `pci`, `scsi`, `scsi_host`, `mdev`, `storage`, `misc`, `net`.
    pub hostdev_type: Option<String>,
    pub managed: Option<bool>,
    /// USB vendor and product ids as written (`0x046d`).
    pub usb_vendor: Option<String>,
    pub usb_product: Option<String>,
    /// USB bus and device numbers, when the device is given by position.
    pub usb_bus: Option<u32>,
    pub usb_device: Option<u32>,
    /// The host PCI address of a PCI device.
    pub pci_address: Option<PciAddress>,
}

impl Hostdev {
    pub(crate) fn read(hostdev: &Element) -> Hostdev {
        let hostdev_type = attr(hostdev, "type");
        let source = hostdev.child("source");
        let address = source.and_then(|s| s.child("address"));
        let is_pci = hostdev_type.as_deref() == Some("pci");
        Hostdev {
            mode: attr(hostdev, "mode"),
            managed: attr_bool(hostdev, "managed"),
            usb_vendor: source.and_then(|s| child_attr(s, "vendor", "id")),
            usb_product: source.and_then(|s| child_attr(s, "product", "id")),
            usb_bus: address.filter(|_| !is_pci).and_then(|a| attr_u32(a, "bus")),
            usb_device: address
                .filter(|_| !is_pci)
                .and_then(|a| attr_u32(a, "device")),
            pci_address: address.filter(|_| is_pci).and_then(PciAddress::read),
            hostdev_type,
        }
    }
}

/// `<redirdev>`: a USB device redirected from the viewer or a network peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redirdev {
    pub bus: Option<String>,
    /// `spicevmc` or `tcp`.
    pub redir_type: Option<String>,
    pub source_host: Option<String>,
    pub source_service: Option<String>,
}

impl Redirdev {
    pub(crate) fn read(redirdev: &Element) -> Redirdev {
        Redirdev {
            bus: attr(redirdev, "bus"),
            redir_type: attr(redirdev, "type"),
            source_host: child_attr(redirdev, "source", "host"),
            source_service: child_attr(redirdev, "source", "service"),
        }
    }
}

/// `<smartcard>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Smartcard {
    /// `host`, `host-certificates` or `passthrough`.
    pub mode: Option<String>,
    /// For passthrough: the character device type (`spicevmc`, `tcp`).
    pub smartcard_type: Option<String>,
}

impl Smartcard {
    pub(crate) fn read(smartcard: &Element) -> Smartcard {
        Smartcard {
            mode: attr(smartcard, "mode"),
            smartcard_type: attr(smartcard, "type"),
        }
    }
}

/// `<filesystem>`: a host directory shared with the guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filesystem {
    /// `mount`, `file`, `block`, `ram`, `bind`, `volume`, …
    pub fs_type: Option<String>,
    pub access_mode: Option<String>,
    /// `path`, `virtiofs`, `handle`, `loop`, …
    pub driver_type: Option<String>,
    /// The host side: directory, file, device or (for `ram`) nothing.
    pub source: Option<String>,
    /// The mount tag the guest sees.
    pub target_dir: Option<String>,
    pub readonly: bool,
}

impl Filesystem {
    pub(crate) fn read(filesystem: &Element) -> Filesystem {
        let source = filesystem.child("source");
        Filesystem {
            fs_type: attr(filesystem, "type"),
            access_mode: attr(filesystem, "accessmode"),
            driver_type: child_attr(filesystem, "driver", "type"),
            source: source.and_then(|s| {
                ["dir", "file", "dev", "name", "socket", "volume"]
                    .iter()
                    .find_map(|name| attr(s, name))
            }),
            target_dir: child_attr(filesystem, "target", "dir"),
            readonly: filesystem.child("readonly").is_some(),
        }
    }
}

/// `<tpm>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tpm {
    /// `tpm-tis`, `tpm-crb`, `tpm-spapr`, `spapr-tpm-proxy`.
    pub model: Option<String>,
    /// `passthrough`, `emulator` or `external`.
    pub backend_type: Option<String>,
    /// `1.2` or `2.0`.
    pub backend_version: Option<String>,
    /// The host device of a passthrough TPM or the socket of an external one.
    pub backend_path: Option<String>,
}

impl Tpm {
    pub(crate) fn read(tpm: &Element) -> Tpm {
        let backend = tpm.child("backend");
        let device = backend.and_then(|b| b.child("device").or_else(|| b.child("source")));
        Tpm {
            model: attr(tpm, "model"),
            backend_type: backend.and_then(|b| attr(b, "type")),
            backend_version: backend.and_then(|b| attr(b, "version")),
            backend_path: device.and_then(|d| attr(d, "path")),
        }
    }
}

/// `<rng>`: a random number generator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rng {
    pub model: Option<String>,
    /// `random`, `egd` or `builtin`.
    pub backend_model: Option<String>,
    /// The host device of a `random` backend (`/dev/urandom`).
    pub backend_device: Option<String>,
    pub rate_bytes: Option<u32>,
    pub rate_period_ms: Option<u32>,
}

impl Rng {
    pub(crate) fn read(rng: &Element) -> Rng {
        let backend = rng.child("backend");
        let rate = rng.child("rate");
        Rng {
            model: attr(rng, "model"),
            backend_model: backend.and_then(|b| attr(b, "model")),
            backend_device: backend
                .map(|b| b.text().trim().to_owned())
                .filter(|device| !device.is_empty()),
            rate_bytes: rate.and_then(|r| attr_u32(r, "bytes")),
            rate_period_ms: rate.and_then(|r| attr_u32(r, "period")),
        }
    }
}

/// `<watchdog>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Watchdog {
    pub model: Option<String>,
    /// `reset`, `shutdown`, `poweroff`, `pause`, `none`, `dump`, `inject-nmi`.
    pub action: Option<String>,
}

impl Watchdog {
    pub(crate) fn read(watchdog: &Element) -> Watchdog {
        Watchdog {
            model: attr(watchdog, "model"),
            action: attr(watchdog, "action"),
        }
    }
}

/// `<memballoon>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Memballoon {
    /// `virtio`, `xen` or `none`.
    pub model: Option<String>,
    pub stats_period: Option<u32>,
    pub autodeflate: Option<bool>,
}

impl Memballoon {
    pub(crate) fn read(balloon: &Element) -> Memballoon {
        Memballoon {
            model: attr(balloon, "model"),
            stats_period: balloon.child("stats").and_then(|s| attr_u32(s, "period")),
            autodeflate: attr_bool(balloon, "autodeflate"),
        }
    }
}

/// `<panic>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Panic {
    pub model: Option<String>,
}

impl Panic {
    pub(crate) fn read(panic: &Element) -> Panic {
        Panic {
            model: attr(panic, "model"),
        }
    }
}

/// `<vsock>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vsock {
    pub model: Option<String>,
    pub cid: Option<u32>,
    pub cid_auto: Option<bool>,
}

impl Vsock {
    pub(crate) fn read(vsock: &Element) -> Vsock {
        let cid = vsock.child("cid");
        Vsock {
            model: attr(vsock, "model"),
            cid: cid.and_then(|c| attr_u32(c, "address")),
            cid_auto: cid.and_then(|c| attr_bool(c, "auto")),
        }
    }
}

/// `<iommu>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Iommu {
    /// `intel`, `smmuv3` or `virtio`.
    pub model: Option<String>,
}

impl Iommu {
    pub(crate) fn read(iommu: &Element) -> Iommu {
        Iommu {
            model: attr(iommu, "model"),
        }
    }
}

/// `<hub>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hub {
    pub hub_type: Option<String>,
}

impl Hub {
    pub(crate) fn read(hub: &Element) -> Hub {
        Hub {
            hub_type: attr(hub, "type"),
        }
    }
}

/// `<shmem>`: shared memory between guests (ivshmem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shmem {
    pub name: Option<String>,
    pub model: Option<String>,
    pub size_kib: Option<u64>,
}

impl Shmem {
    pub(crate) fn read(shmem: &Element) -> Shmem {
        Shmem {
            name: attr(shmem, "name"),
            model: child_attr(shmem, "model", "type"),
            size_kib: shmem.child("size").and_then(element_kib),
        }
    }
}

/// `<memory>` inside `<devices>`: a hot-pluggable memory module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryDevice {
    /// `dimm`, `nvdimm`, `virtio-pmem`, `virtio-mem`, `sgx-epc`.
    pub model: Option<String>,
    pub size_kib: Option<u64>,
    pub node: Option<u32>,
    /// The backing path of an nvdimm or virtio-pmem.
    pub source_path: Option<String>,
}

impl MemoryDevice {
    pub(crate) fn read(memory: &Element) -> MemoryDevice {
        let target = memory.child("target");
        MemoryDevice {
            model: attr(memory, "model"),
            size_kib: target.and_then(|t| t.child("size")).and_then(element_kib),
            node: target
                .and_then(|t| t.child("node"))
                .and_then(|n| parse_u32(&n.text())),
            source_path: memory
                .find("source/path")
                .map(|p| p.text().trim().to_owned()),
        }
    }
}

/// `<lease>`: a lock manager lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lease {
    pub lockspace: Option<String>,
    pub key: Option<String>,
    pub target_path: Option<String>,
}

impl Lease {
    pub(crate) fn read(lease: &Element) -> Lease {
        Lease {
            lockspace: lease.child_text("lockspace"),
            key: lease.child_text("key"),
            target_path: child_attr(lease, "target", "path"),
        }
    }
}

/// `<crypto>`: a virtio crypto device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crypto {
    pub model: Option<String>,
    pub crypto_type: Option<String>,
    pub backend_model: Option<String>,
}

impl Crypto {
    pub(crate) fn read(crypto: &Element) -> Crypto {
        Crypto {
            model: attr(crypto, "model"),
            crypto_type: attr(crypto, "type"),
            backend_model: child_attr(crypto, "backend", "model"),
        }
    }
}
