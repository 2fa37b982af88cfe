//! Edits of domain XML on the lossless tree: each checks its input first and changes nothing
//! when it returns an error, and touches only the elements it is about, so everything the
//! model does not know survives. Define the result with `virDomainDefineXML`.
//!
//! ```
//! use hangar::driver::xml::XmlDocument;
//! let xml = "<domain type='kvm'><name>vm</name><memory>1024</memory></domain>";
//! let mut doc = XmlDocument::parse(xml)?;
//! doc.set_title(Some("Build box"))?;
//! doc.set_memory(2048, 4096)?;
//! let new_xml = doc.to_xml_string();
//! # assert!(new_xml.contains("<title>Build box</title>"));
//! # Ok::<(), hangar::driver::xml::XmlError>(())
//! ```

use std::collections::{HashMap, HashSet};

use super::devices::{BOOTABLE_ELEMENTS, Device};
use super::error::XmlError;
use super::model::{BootDevice, BootOrder, attr_u32, domain_root};
use super::tree::{Element, XmlDocument};
use crate::i18n::{gettext, gettext_f};

/// Children of `<os>` that libvirt writes before the `<boot>` entries.
const BEFORE_OS_BOOT: [&str; 9] = [
    "type", "firmware", "loader", "nvram", "kernel", "initrd", "cmdline", "dtb", "boot",
];

fn invalid(field: &str, reason: String) -> XmlError {
    XmlError::InvalidValue {
        field: field.to_owned(),
        reason,
    }
}

impl XmlDocument {
    /// Applies `edit` to a copy of this document and returns the copy's XML; this document
    /// stays as it was. The one-call form of every edit: `doc.edited(|d| d.set_title(None))`.
    pub fn edited<T>(
        &self,
        edit: impl FnOnce(&mut XmlDocument) -> Result<T, XmlError>,
    ) -> Result<String, XmlError> {
        let mut copy = self.clone();
        edit(&mut copy)?;
        Ok(copy.to_xml_string())
    }

    /// The `<domain>` root, or a [`XmlError::WrongRoot`].
    fn domain_mut(&mut self) -> Result<&mut Element, XmlError> {
        domain_root(self)?;
        Ok(self.root_mut())
    }

    /// Sets the one-line title; `None` or an empty string removes it.
    pub fn set_title(&mut self, title: Option<&str>) -> Result<(), XmlError> {
        let title = title.filter(|t| !t.is_empty());
        if title.is_some_and(|t| t.contains(['\n', '\r'])) {
            return Err(invalid(
                &gettext("title"),
                gettext("a title must fit on one line"),
            ));
        }
        let domain = self.domain_mut()?;
        set_optional_text(domain, "title", title, &["genid", "uuid", "name"]);
        Ok(())
    }

    /// Sets the free-form description; `None` or an empty string removes it.
    pub fn set_description(&mut self, description: Option<&str>) -> Result<(), XmlError> {
        let description = description.filter(|d| !d.is_empty());
        let domain = self.domain_mut()?;
        set_optional_text(
            domain,
            "description",
            description,
            &["title", "genid", "uuid", "name"],
        );
        Ok(())
    }

    /// Sets the domain name. Defining the result renames a shut-off domain when the old
    /// definition is undefined first (libvirt refuses a second name for the same UUID);
    /// `virDomainRename` does the same in one call where the driver supports it.
    pub fn set_name(&mut self, name: &str) -> Result<(), XmlError> {
        if name.trim().is_empty() {
            return Err(invalid(&gettext("name"), gettext("the name is empty")));
        }
        if name.contains('/') || name.chars().any(char::is_control) {
            return Err(invalid(
                &gettext("name"),
                gettext("a name cannot contain '/' or control characters"),
            ));
        }
        let domain = self.domain_mut()?;
        domain.ensure_child("name", &[]).set_text(name);
        Ok(())
    }

    /// Sets `<memory>` (the maximum allocation) and `<currentMemory>`, both in KiB and written
    /// with `unit='KiB'`. With a single NUMA cell its size follows; with several the sizes are
    /// the cells' business and this refuses.
    pub fn set_memory(&mut self, current_kib: u64, maximum_kib: u64) -> Result<(), XmlError> {
        let field = gettext("memory");
        if current_kib == 0 || maximum_kib == 0 {
            return Err(invalid(&field, gettext("memory must be larger than zero")));
        }
        if current_kib > maximum_kib {
            return Err(invalid(
                &field,
                gettext("the current allocation exceeds the maximum"),
            ));
        }
        let domain = self.domain_mut()?;
        if let Some(hotplug_max) = domain
            .child("maxMemory")
            .and_then(super::model::element_kib)
            && maximum_kib > hotplug_max
        {
            return Err(invalid(
                &field,
                gettext("the maximum allocation exceeds the hot-plug limit (maxMemory)"),
            ));
        }
        let cells = domain
            .find("cpu/numa")
            .map_or(0, |numa| numa.children_named("cell").count());
        if cells > 1 {
            return Err(XmlError::Unsupported {
                reason: gettext_f(
                    "The memory is divided among {cells} NUMA cells; change the cells' sizes instead",
                    &[("cells", &cells.to_string())],
                ),
            });
        }
        if let Some(cell) = domain.find_mut("cpu/numa/cell") {
            cell.set_attr("memory", &maximum_kib.to_string());
            cell.set_attr("unit", "KiB");
        }
        set_kib(
            domain,
            "memory",
            maximum_kib,
            &["maxMemory", "uuid", "name"],
        );
        set_kib(domain, "currentMemory", current_kib, &["memory"]);
        Ok(())
    }

    /// Sets or (with `None`) removes `<maxMemory>`, the memory hot-plug ceiling, as
    /// `(KiB, slots)`.
    pub fn set_max_memory(&mut self, max_memory: Option<(u64, u32)>) -> Result<(), XmlError> {
        let domain = self.domain_mut()?;
        let Some((kib, slots)) = max_memory else {
            domain.remove_elements_where(|e| e.name() == "maxMemory");
            return Ok(());
        };
        let memory = domain.child("memory").and_then(super::model::element_kib);
        if memory.is_some_and(|memory| kib < memory) || slots == 0 {
            return Err(invalid(
                &gettext("maximum memory"),
                gettext(
                    "the hot-plug limit must be at least the memory size, with one slot or more",
                ),
            ));
        }
        set_kib(domain, "maxMemory", kib, &["genid", "uuid", "name"]);
        if let Some(max) = domain.child_mut("maxMemory") {
            max.set_attr("slots", &slots.to_string());
        }
        Ok(())
    }

    /// Sets the vCPU count: `maximum` in the element, `current` as its attribute (dropped when
    /// equal). A CPU topology is adjusted to multiply up to the maximum, keeping cores and
    /// threads per socket when they divide it; a per-vCPU `<vcpus>` list is dropped when the
    /// maximum changes (libvirt rebuilds it).
    pub fn set_vcpus(&mut self, current: u32, maximum: u32) -> Result<(), XmlError> {
        if current == 0 || current > maximum {
            return Err(invalid(
                &gettext("vCPUs"),
                gettext("the current count must be between 1 and the maximum"),
            ));
        }
        let domain = self.domain_mut()?;
        let vcpu = domain.ensure_child("vcpu", &["currentMemory", "memory", "maxMemory"]);
        let old_maximum = super::model::parse_u32(&vcpu.text());
        vcpu.set_text(&maximum.to_string());
        if current == maximum {
            vcpu.remove_attr("current");
        } else {
            vcpu.set_attr("current", &current.to_string());
        }
        if old_maximum != Some(maximum) {
            domain.remove_elements_where(|e| e.name() == "vcpus");
        }
        if let Some(topology) = domain.find_mut("cpu/topology") {
            fit_topology(topology, maximum);
        }
        Ok(())
    }

    /// Writes back a boot order as [`super::DomainXml::boot_order`] reads it: per device or
    /// as `<os>` entries (each form removes the other).
    pub fn set_boot_order(&mut self, order: &BootOrder) -> Result<(), XmlError> {
        match order {
            BootOrder::Devices(indices) => self.set_device_boot_order(indices),
            BootOrder::Os(devices) => self.set_os_boot_order(devices),
        }
    }

    /// Sets the `<os><boot dev=…>` list and removes every per-device `<boot order>` (libvirt
    /// refuses both at once). An empty list leaves the choice to the hypervisor.
    pub fn set_os_boot_order(&mut self, boot: &[BootDevice]) -> Result<(), XmlError> {
        let mut seen = HashSet::new();
        for device in boot {
            if matches!(device, BootDevice::Other(_)) {
                return Err(invalid(
                    &gettext("boot order"),
                    gettext_f(
                        "“{device}” is not a boot device type",
                        &[("device", device.as_attribute())],
                    ),
                ));
            }
            if !seen.insert(device) {
                return Err(invalid(
                    &gettext("boot order"),
                    gettext("a boot device type is listed twice"),
                ));
            }
        }
        let domain = self.domain_mut()?;
        clear_device_boot_orders(domain);
        let os = domain.ensure_child("os", &["vcpu", "currentMemory", "memory"]);
        os.remove_elements_where(|e| e.name() == "boot");
        for device in boot {
            os.insert_element(
                Element::new("boot").with_attr("dev", device.as_attribute()),
                &BEFORE_OS_BOOT,
            );
        }
        Ok(())
    }

    /// Boots from the given devices (indices into the device list), in that order, with
    /// per-device `<boot order='1…'/>`; every other device loses its boot order and the
    /// `<os><boot>` entries go, as virt-manager does. Only disks, interfaces, host devices and
    /// redirected USB devices can boot.
    pub fn set_device_boot_order(&mut self, device_indices: &[usize]) -> Result<(), XmlError> {
        let domain = self.domain_mut()?;
        let devices: Vec<&Element> = domain
            .child("devices")
            .map(|d| d.elements().collect())
            .unwrap_or_default();
        let count = devices.len();
        // device index → boot order (1-based), filled while checking the list.
        let mut orders = HashMap::new();
        for (position, &index) in device_indices.iter().enumerate() {
            let element = devices
                .get(index)
                .ok_or(XmlError::NoSuchDevice { index, count })?;
            if !BOOTABLE_ELEMENTS.contains(&element.name()) {
                return Err(invalid(
                    &gettext("boot order"),
                    gettext_f(
                        "a <{element}> device cannot boot",
                        &[("element", element.name())],
                    ),
                ));
            }
            if orders.insert(index, position + 1).is_some() {
                return Err(invalid(
                    &gettext("boot order"),
                    gettext("a device is listed twice"),
                ));
            }
        }
        clear_device_boot_orders(domain);
        if let Some(os) = domain.child_mut("os") {
            os.remove_elements_where(|e| e.name() == "boot");
        }
        if let Some(devices) = domain.child_mut("devices") {
            for (index, device) in devices.elements_mut().enumerate() {
                if let Some(order) = orders.get(&index) {
                    let order = order.to_string();
                    device.insert_element(Element::new("boot").with_attr("order", &order), &[]);
                }
            }
        }
        Ok(())
    }

    /// The complete XML of device `index` (secrets included: this is for libvirt, e.g.
    /// `virDomainDetachDeviceFlags`, never for display).
    pub fn device_xml(&self, index: usize) -> Option<String> {
        let devices = self.root().child("devices")?;
        Some(devices.element_at(index)?.to_xml_string())
    }

    /// Removes `device` (as read by [`super::DomainXml::from_document`] from this document's
    /// XML) and returns its complete XML for a live detach. Fails with
    /// [`XmlError::DeviceChanged`] when the element at its index is no longer the same device.
    pub fn remove_device(&mut self, device: &Device) -> Result<String, XmlError> {
        let devices = self.domain_mut()?.child("devices");
        let count = devices.map_or(0, |d| d.elements().count());
        let current =
            devices
                .and_then(|d| d.element_at(device.index))
                .ok_or(XmlError::NoSuchDevice {
                    index: device.index,
                    count,
                })?;
        if current.to_redacted_xml_string() != device.xml {
            return Err(XmlError::DeviceChanged {
                index: device.index,
            });
        }
        self.remove_device_at(device.index)
    }

    /// Removes the device at `index` of `<devices>` and returns its complete XML.
    ///
    /// Removing the first `<serial>` also removes the `<console>` that merely mirrors it (the
    /// first console, of the same type, with a `serial` target): libvirt would otherwise turn
    /// that console into a copy of the next serial port. virt-manager does the same.
    pub fn remove_device_at(&mut self, index: usize) -> Result<String, XmlError> {
        let domain = self.domain_mut()?;
        let devices = domain.child_mut("devices");
        let count = devices.as_ref().map_or(0, |d| d.elements().count());
        let Some(devices) = devices.filter(|_| index < count) else {
            return Err(XmlError::NoSuchDevice { index, count });
        };
        let mirror = mirroring_console(devices, index);
        let removed = devices
            .remove_element_at(index)
            .map(|removed| removed.to_xml_string())
            .ok_or(XmlError::NoSuchDevice { index, count })?;
        if let Some(console) = mirror {
            // The console came after the serial: its index moved down by one.
            let console = if console > index {
                console - 1
            } else {
                console
            };
            devices.remove_element_at(console);
        }
        Ok(removed)
    }
}

/// The index of the console that mirrors the serial port at `index`, if that is the first
/// serial port and the first console is its mirror.
fn mirroring_console(devices: &Element, index: usize) -> Option<usize> {
    let serial = devices.element_at(index).filter(|e| e.name() == "serial")?;
    let first_serial = devices.elements().position(|e| e.name() == "serial")?;
    let (console_index, console) = devices
        .elements()
        .enumerate()
        .find(|(_, e)| e.name() == "console")?;
    let target_type = console.child("target").and_then(|t| t.attr("type"));
    let mirrors = first_serial == index
        && console.attr("type") == serial.attr("type")
        && target_type.as_deref().is_none_or(|t| t == "serial");
    mirrors.then_some(console_index)
}

/// Sets, creates or removes the text element `name` of `parent`.
fn set_optional_text(parent: &mut Element, name: &str, text: Option<&str>, after: &[&str]) {
    match text {
        Some(text) => parent.ensure_child(name, after).set_text(text),
        None => {
            parent.remove_elements_where(|e| e.name() == name);
        }
    }
}

/// Writes `<name unit='KiB'>kib</name>`, creating the element if needed.
fn set_kib(parent: &mut Element, name: &str, kib: u64, after: &[&str]) {
    let element = parent.ensure_child(name, after);
    element.set_text(&kib.to_string());
    element.set_attr("unit", "KiB");
}

/// Removes `<boot>` from every device.
fn clear_device_boot_orders(domain: &mut Element) {
    if let Some(devices) = domain.child_mut("devices") {
        for device in devices.elements_mut() {
            device.remove_elements_where(|e| e.name() == "boot");
        }
    }
}

/// Makes `sockets × dies × clusters × cores × threads` equal `vcpus`.
fn fit_topology(topology: &mut Element, vcpus: u32) {
    let get = |name| attr_u32(topology, name).unwrap_or(1).max(1);
    let per_socket = ["dies", "clusters", "cores", "threads"]
        .iter()
        .fold(1u64, |product, name| product * u64::from(get(name)));
    if u64::from(get("sockets")) * per_socket == u64::from(vcpus) {
        return;
    }
    if u64::from(vcpus) % per_socket == 0 {
        let sockets = u64::from(vcpus) / per_socket;
        topology.set_attr("sockets", &sockets.to_string());
        return;
    }
    topology.set_attr("sockets", &vcpus.to_string());
    for name in ["dies", "clusters", "cores", "threads"] {
        if topology.attr(name).is_some() || name == "cores" || name == "threads" {
            topology.set_attr(name, "1");
        }
    }
}
