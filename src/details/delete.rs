//! "Delete with storage": which of a machine's disk images the delete dialog offers, which are
//! checked by default, which are shared with other machines of the same host, and what
//! deleting then does (force off, undefine with virt-manager's flags, delete the chosen
//! volumes through libvirt).
//!
//! Only storage libvirt manages (a volume of a storage pool) can be deleted: that works on
//! remote hosts too and never touches a file behind libvirt's back. Images used by another
//! machine are flagged and never checked by default; CD-ROMs, floppies, read-only and
//! shareable disks are not checked by default either.

use crate::driver::xml::DomainXml;
use crate::driver::xml::devices::DiskSource;
use crate::driver::{DomainInfo, VolumeInfo};
use crate::i18n::{gettext, gettext_f, ngettext_f};
use crate::units::format_bytes;

/// A disk's storage as libvirt resolved it (see `apply::resolve_volumes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A volume of a storage pool: deletable.
    Volume(VolumeInfo),
    /// Not in any storage pool (or the pool is inactive): libvirt cannot delete it.
    Unmanaged,
    /// The lookup failed for another reason (libvirt's message).
    Failed(String),
}

/// One line of the delete dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageChoice {
    /// The disk's index in the domain's device list.
    pub device_index: usize,
    /// "vda", "sda", …
    pub target: String,
    /// `disk`, `cdrom`, `floppy` or `lun`.
    pub device: String,
    /// The path or `pool/volume` as the definition names it.
    pub source: String,
    /// The volume's path, what deleting uses (`None` when it cannot be deleted).
    pub path: Option<String>,
    /// Allocation on the host, when libvirt knows it.
    pub allocation: Option<u64>,
    /// Other machines of the host whose disks use this storage.
    pub used_by: Vec<String>,
    /// Why the line cannot be checked, if it cannot.
    pub blocked: Option<String>,
    /// Whether the dialog checks it at first.
    pub checked: bool,
}

impl StorageChoice {
    /// The line's subtitle: the source, its size, and what speaks against deleting it.
    pub fn detail(&self) -> String {
        let mut parts = vec![self.source.clone()];
        if let Some(bytes) = self.allocation {
            parts.push(format_bytes(bytes as f64));
        }
        if !self.used_by.is_empty() {
            let n = self.used_by.len() as u32;
            parts.push(ngettext_f(
                "also used by {names}",
                "also used by {names}",
                n,
                &[("names", &self.used_by.join(", "))],
            ));
        }
        if let Some(blocked) = &self.blocked {
            parts.push(blocked.clone());
        }
        parts.join(" · ")
    }
}

/// The dialog's lines for `domain`, given every other machine on the host (`others` may include
/// `domain` itself: it is recognised by UUID and skipped) and the resolution of each disk
/// storage as returned for [`DomainXml::disk_storage`], in the same order.
pub fn storage_choices(
    domain: &DomainXml,
    others: &[DomainXml],
    resolved: &[Resolved],
) -> Vec<StorageChoice> {
    domain
        .disk_storage()
        .into_iter()
        .zip(resolved)
        .map(|(storage, resolved)| {
            let source = match &storage.source {
                DiskSource::Volume { pool, volume } => format!("{pool}/{volume}"),
                other => other.path().unwrap_or_default().to_owned(),
            };
            let volume = match resolved {
                Resolved::Volume(volume) => Some(volume),
                _ => None,
            };
            let mut used_by: Vec<String> = Vec::new();
            let mut note_users = |names: Vec<&str>| {
                for name in names {
                    if !used_by.iter().any(|n| n == name) {
                        used_by.push(name.to_owned());
                    }
                }
            };
            if let Some(path) = storage.source.path() {
                note_users(domain.other_domains_using_path(path, others));
            }
            if let Some(volume) = volume {
                note_users(domain.other_domains_using_path(&volume.path, others));
                if let Some(pool) = &volume.pool {
                    note_users(
                        others
                            .iter()
                            .filter(|o| {
                                !domain.is_same_domain(o) && o.uses_volume(pool, &volume.name)
                            })
                            .map(|o| o.name.as_str())
                            .collect(),
                    );
                }
            }
            let blocked = match resolved {
                Resolved::Volume(_) => None,
                Resolved::Unmanaged => Some(gettext(
                    "not in a storage pool, so libvirt cannot delete it",
                )),
                Resolved::Failed(message) => Some(message.clone()),
            };
            let checked = blocked.is_none()
                && used_by.is_empty()
                && storage.device == "disk"
                && !storage.readonly
                && !storage.shareable;
            StorageChoice {
                device_index: storage.device_index,
                target: storage.target_dev.clone().unwrap_or_default(),
                device: storage.device.clone(),
                source,
                path: volume.map(|v| v.path.clone()),
                allocation: volume.map(|v| v.allocation),
                used_by,
                blocked,
                checked,
            }
        })
        .collect()
}

/// What the Delete button does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeletePlan {
    /// Stop the machine first (libvirt cannot undefine storage of, or cleanly forget, a
    /// running machine; virt-manager forces it off too).
    pub force_off: bool,
    /// Volume paths to delete after the definition is gone.
    pub volumes: Vec<String>,
}

impl DeletePlan {
    /// The plan for `info` with the checked lines of `choices`.
    pub fn new(info: &DomainInfo, choices: &[StorageChoice]) -> DeletePlan {
        let mut volumes: Vec<String> = Vec::new();
        for choice in choices.iter().filter(|c| c.checked && c.blocked.is_none()) {
            if let Some(path) = &choice.path
                && !volumes.contains(path)
            {
                volumes.push(path.clone());
            }
        }
        DeletePlan {
            force_off: info.state.is_active(),
            volumes,
        }
    }
}

/// What else the undefine removes, for the dialog to say before it happens.
pub fn undefine_notes(info: &DomainInfo, snapshots: u32, nvram: Option<&str>) -> Vec<String> {
    let mut notes = Vec::new();
    if info.state.is_active() {
        notes.push(gettext("The machine is running: it is forced off first."));
    }
    if info.has_managed_save {
        notes.push(gettext("Its saved memory state is discarded."));
    }
    if snapshots > 0 {
        notes.push(ngettext_f(
            "The metadata of its {n} snapshot is removed; the snapshot’s data stays in its disk images.",
            "The metadata of its {n} snapshots is removed; the snapshots’ data stays in their disk images.",
            snapshots,
            &[("n", &snapshots.to_string())],
        ));
    }
    if let Some(path) = nvram {
        notes.push(gettext_f(
            "Its UEFI variable store {path} is deleted.",
            &[("path", path)],
        ));
    }
    notes
}

/// How deleting went: the definition is gone; some volumes may have failed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteOutcome {
    pub deleted: Vec<String>,
    /// Each volume that could not be deleted, with libvirt's message.
    pub failed: Vec<(String, String)>,
}

impl DeleteOutcome {
    /// `Err` with one sentence when any volume failed (the action's result in the window).
    pub fn into_result(self) -> Result<(), String> {
        if self.failed.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = self
            .failed
            .iter()
            .map(|(path, message)| format!("{path}: {message}"))
            .collect();
        Err(gettext_f(
            "The machine was deleted, but not all of its storage: {failures}",
            &[("failures", &lines.join("; "))],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DomainState, DomainUuid};

    fn domain(name: &str, uuid: &str, disks: &str) -> DomainXml {
        DomainXml::parse(&format!(
            "<domain><name>{name}</name><uuid>{uuid}</uuid><devices>{disks}</devices></domain>"
        ))
        .unwrap()
    }

    fn volume(path: &str, name: &str) -> Resolved {
        Resolved::Volume(VolumeInfo {
            name: name.into(),
            path: path.into(),
            key: path.into(),
            pool: Some("pool".into()),
            kind: 0,
            capacity: 1 << 30,
            allocation: 1 << 20,
        })
    }

    const MINE: &str = "<disk type='file' device='disk'><source file='/p/own.qcow2'/><target dev='vda'/></disk>\
        <disk type='file' device='disk'><source file='/p/shared.raw'/><target dev='vdb'/></disk>\
        <disk type='file' device='cdrom'><source file='/iso/install.iso'/><target dev='sda'/><readonly/></disk>\
        <disk type='file' device='disk'><source file='/elsewhere/x.img'/><target dev='vdc'/></disk>\
        <disk type='volume' device='disk'><source pool='pool' volume='data.qcow2'/><target dev='vdd'/></disk>";

    #[test]
    fn defaults_spare_shared_read_only_and_unmanaged_storage() {
        let mine = domain("mine", "00000000-0000-0000-0000-000000000001", MINE);
        let other = domain(
            "other",
            "00000000-0000-0000-0000-000000000002",
            "<disk type='file'><source file='/p//shared.raw'/></disk>\
             <disk type='volume'><source pool='pool' volume='data.qcow2'/></disk>",
        );
        let resolved = [
            volume("/p/own.qcow2", "own.qcow2"),
            volume("/p/shared.raw", "shared.raw"),
            volume("/iso/install.iso", "install.iso"),
            Resolved::Unmanaged,
            volume("/p/data.qcow2", "data.qcow2"),
        ];
        let all = [mine.clone(), other];
        let choices = storage_choices(&mine, &all, &resolved);
        let checked: Vec<(&str, bool)> = choices
            .iter()
            .map(|c| (c.target.as_str(), c.checked))
            .collect();
        assert_eq!(
            checked,
            [
                ("vda", true),
                ("vdb", false),
                ("sda", false),
                ("vdc", false),
                ("vdd", false)
            ]
        );
        assert_eq!(choices[1].used_by, ["other"]);
        assert_eq!(choices[4].used_by, ["other"], "same volume named by pool");
        assert!(choices[3].blocked.is_some() && choices[3].path.is_none());
        assert!(choices[1].detail().contains("also used by other"));

        let info = DomainInfo {
            uuid: DomainUuid([0; 16]),
            name: "mine".into(),
            id: Some(3),
            state: DomainState::Running,
            state_reason: 1,
            persistent: true,
            autostart: false,
            has_managed_save: true,
            vcpus: 1,
            max_vcpus: 1,
            memory_kib: 1,
            max_memory_kib: 1,
            title: None,
            description: None,
        };
        let mut choices = choices;
        choices[3].checked = true; // blocked lines never count
        choices[1].checked = true; // the user may still choose a shared image
        let plan = DeletePlan::new(&info, &choices);
        assert!(plan.force_off);
        assert_eq!(plan.volumes, ["/p/own.qcow2", "/p/shared.raw"]);
        let notes = undefine_notes(&info, 2, Some("/nvram/x_VARS.fd"));
        assert_eq!(notes.len(), 4);
    }
}
