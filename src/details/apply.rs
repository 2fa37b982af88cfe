//! Carrying out the plans through the driver's async [`Connection`]: each function makes the
//! planned calls in order and, when libvirt refuses one half-way, undoes the calls already made
//! (restoring the previous definition or live value), so a change is applied whole or not at
//! all. These run on the driver's workers; nothing here may be awaited on the GTK thread
//! directly (the UI spawns them as commands).

use std::fmt;

use virt::connect::Connect;
use virt::storage_vol::StorageVol;

use crate::driver::xml::devices::DiskSource;
use crate::driver::xml::{BootOrder, DiskStorage, DomainXml};
use crate::driver::{Connection, DriverError, Scope, VolumeInfo};
use crate::i18n::{gettext, gettext_f};
use crate::model::DomainUuid;

use super::definition::{Definition, LoadError};
use super::delete::{DeleteOutcome, DeletePlan, Resolved};
use super::removal::{LiveRemoval, RemovalOutcome, RemovalPlan};
use super::resources::{ResourcePlan, ResourceStep, Resources, apply_to_document};
use super::xml_editor::{XmlProblem, check_before_define, locate_libvirt_error};

/// Why a change was not (completely) applied.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyError {
    /// Refused before any call; a translated sentence. Nothing changed.
    Refused(String),
    /// The definition changed since it was shown (edited elsewhere). Nothing changed.
    Changed,
    /// Libvirt refused a call; everything before it was undone (or there was nothing before
    /// it). `message` is libvirt's.
    Failed { message: String },
    /// Libvirt refused a call and undoing the earlier ones failed as well: part of the change
    /// stays. Both messages are libvirt's.
    Partial { message: String, rollback: String },
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ApplyError::Refused(message) | ApplyError::Failed { message } => message.clone(),
            ApplyError::Changed => gettext(
                "The machine’s definition changed since it was shown; look at it again and repeat the change",
            ),
            ApplyError::Partial { message, rollback } => gettext_f(
                "{message} — and undoing the first part failed too ({rollback}); check the machine’s settings",
                &[("message", message), ("rollback", rollback)],
            ),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for ApplyError {}

impl From<LoadError> for ApplyError {
    fn from(error: LoadError) -> Self {
        ApplyError::Failed {
            message: error.to_string(),
        }
    }
}

/// A call already made, and how to undo it.
enum Undo {
    /// Define this (previous) definition again.
    Define(String),
    LiveMemory(u64),
    LiveVcpus(u32),
}

/// Undoes `done` newest first; on failure, returns the error with what undoing said.
async fn fail_and_undo(
    connection: &Connection,
    uuid: DomainUuid,
    done: Vec<Undo>,
    error: DriverError,
) -> ApplyError {
    let mut rollback_errors = Vec::new();
    for undo in done.into_iter().rev() {
        let result = match undo {
            Undo::Define(xml) => connection.define_xml(xml).await.map(drop),
            Undo::LiveMemory(kib) => connection.set_memory(uuid, kib, Scope::Live).await,
            Undo::LiveVcpus(count) => connection.set_vcpus(uuid, count, Scope::Live).await,
        };
        if let Err(error) = result {
            rollback_errors.push(error.to_string());
        }
    }
    let message = error.to_string();
    if rollback_errors.is_empty() {
        ApplyError::Failed { message }
    } else {
        ApplyError::Partial {
            message,
            rollback: rollback_errors.join("; "),
        }
    }
}

/// The fresh definition, refused when it lacks secrets (defining it would drop them).
async fn load_editable(
    connection: &Connection,
    uuid: DomainUuid,
) -> Result<Definition, ApplyError> {
    let definition = Definition::load(connection, uuid).await?;
    if !definition.secure {
        return Err(ApplyError::Refused(not_secure_text()));
    }
    Ok(definition)
}

/// Why a definition read without secrets is not saved back.
pub fn not_secure_text() -> String {
    gettext(
        "This connection may not read the machine’s passwords, so its definition cannot be saved without losing them",
    )
}

/// Applies a memory/vCPU plan: the persistent definition first, then the live changes; a
/// refusal undoes what was done.
pub async fn apply_resources(
    connection: &Connection,
    uuid: DomainUuid,
    plan: &ResourcePlan,
) -> Result<(), ApplyError> {
    let mut done = Vec::new();
    for step in &plan.steps {
        let result = match *step {
            ResourceStep::Config { target, previous } => {
                let definition = load_editable(connection, uuid).await?;
                if Resources::of_definition(&definition.domain) != previous {
                    return Err(if done.is_empty() {
                        ApplyError::Changed
                    } else {
                        fail_and_undo(connection, uuid, done, changed_error()).await
                    });
                }
                let xml = definition
                    .document
                    .edited(|document| apply_to_document(document, &target))
                    .map_err(|error| ApplyError::Refused(error.to_string()))?;
                let result = connection.define_xml(xml).await.map(drop);
                if result.is_ok() {
                    done.push(Undo::Define(definition.xml));
                }
                result
            }
            ResourceStep::LiveMemory { kib, previous } => {
                let result = connection.set_memory(uuid, kib, Scope::Live).await;
                if result.is_ok() {
                    done.push(Undo::LiveMemory(previous));
                }
                result
            }
            ResourceStep::LiveVcpus { count, previous } => {
                let result = connection.set_vcpus(uuid, count, Scope::Live).await;
                if result.is_ok() {
                    done.push(Undo::LiveVcpus(previous));
                }
                result
            }
        };
        if let Err(error) = result {
            return Err(fail_and_undo(connection, uuid, done, error).await);
        }
    }
    Ok(())
}

fn changed_error() -> DriverError {
    DriverError::InvalidInput {
        message: ApplyError::Changed.to_string(),
    }
}

/// Applies the boot options: a new boot order (defined from `base`, the definition the
/// editor was made from) and the autostart flag `(wanted, current)`.
pub async fn apply_boot(
    connection: &Connection,
    uuid: DomainUuid,
    base: &Definition,
    order: Option<&BootOrder>,
    autostart: Option<(bool, bool)>,
) -> Result<(), ApplyError> {
    let mut done = Vec::new();
    if let Some(order) = order {
        let definition = load_editable(connection, uuid).await?;
        if definition.xml != base.xml {
            return Err(ApplyError::Changed);
        }
        let xml = definition
            .document
            .edited(|document| document.set_boot_order(order))
            .map_err(|error| ApplyError::Refused(error.to_string()))?;
        connection
            .define_xml(xml)
            .await
            .map_err(|error| ApplyError::Failed {
                message: error.to_string(),
            })?;
        done.push(Undo::Define(definition.xml));
    }
    if let Some((wanted, current)) = autostart
        && wanted != current
        && let Err(error) = connection.set_autostart(uuid, wanted).await
    {
        return Err(fail_and_undo(connection, uuid, done, error).await);
    }
    Ok(())
}

/// Removes a device as planned: from the definition, then from the running machine if the
/// hypervisor can unplug it (a failed unplug leaves the removal for next boot).
pub async fn apply_removal(
    connection: &Connection,
    uuid: DomainUuid,
    plan: &RemovalPlan,
) -> Result<RemovalOutcome, ApplyError> {
    let mut readded = false;
    if let Some(new_xml) = &plan.new_xml {
        let definition = load_editable(connection, uuid).await?;
        if definition.xml != plan.base_xml {
            return Err(ApplyError::Changed);
        }
        connection
            .define_xml(new_xml.clone())
            .await
            .map_err(|error| ApplyError::Failed {
                message: error.to_string(),
            })?;
        // Libvirt adds some devices by itself when missing; say so instead of looking broken.
        if let Ok(after) = Definition::load(connection, uuid).await {
            let count = |domain: &DomainXml| {
                domain
                    .devices
                    .iter()
                    .filter(|d| d.element == plan.element)
                    .count()
            };
            readded = count(&after.domain) >= count(&definition.domain);
        }
    }
    let live = live_removal(connection, uuid, plan).await?;
    Ok(RemovalOutcome { live, readded })
}

async fn live_removal(
    connection: &Connection,
    uuid: DomainUuid,
    plan: &RemovalPlan,
) -> Result<LiveRemoval, ApplyError> {
    let Some(live_xml) = plan.live_xml.clone() else {
        return Ok(LiveRemoval::NotRunning);
    };
    let unplugged = connection
        .call(move |conn| {
            let domain = conn.lookup_domain_by_uuid_string(&uuid.to_string())?;
            domain.detach_device_flags(&live_xml, virt::sys::VIR_DOMAIN_AFFECT_LIVE)
        })
        .await;
    match unplugged {
        Ok(()) => Ok(LiveRemoval::Unplugged),
        // A transient machine has nothing else: the unplug was the whole change.
        Err(error) if plan.new_xml.is_none() => Err(ApplyError::Failed {
            message: error.to_string(),
        }),
        Err(error) => Ok(LiveRemoval::Failed(error.to_string())),
    }
}

/// Defines the XML editor's text as the new definition of `uuid`, or says why not (with the
/// line libvirt complains about). Nothing changes when this fails.
pub async fn define_edited_xml(
    connection: &Connection,
    uuid: DomainUuid,
    text: &str,
) -> Result<(), XmlProblem> {
    check_before_define(text, uuid)?;
    match connection.define_xml(text.to_owned()).await {
        Ok(info) if info.uuid == uuid => Ok(()),
        // check_before_define makes this impossible; said rather than hidden if it happens.
        Ok(info) => Err(XmlProblem {
            message: gettext_f(
                "libvirt defined the XML as another machine ({name})",
                &[("name", &info.name)],
            ),
            line: None,
        }),
        Err(DriverError::Libvirt { message, .. }) => Err(locate_libvirt_error(&message, text)),
        Err(other) => Err(XmlProblem {
            message: other.to_string(),
            line: None,
        }),
    }
}

fn volume_info(volume: &StorageVol) -> Result<VolumeInfo, virt::error::Error> {
    let info = volume.info()?;
    Ok(VolumeInfo {
        name: volume.name()?,
        path: volume.path()?,
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

fn resolve_one(conn: &Connect, source: &DiskSource) -> Resolved {
    let missing = |error: &virt::error::Error| {
        matches!(
            error.code().to_raw(),
            virt::sys::VIR_ERR_NO_STORAGE_VOL | virt::sys::VIR_ERR_NO_STORAGE_POOL
        )
    };
    let found = match source {
        DiskSource::File(path) | DiskSource::Block(path) => conn.lookup_storage_vol_by_path(path),
        DiskSource::Volume { pool, volume } => conn
            .lookup_storage_pool_by_name(pool)
            .and_then(|pool| pool.lookup_storage_vol_by_name(volume)),
        _ => return Resolved::Unmanaged,
    };
    match found.and_then(|volume| volume_info(&volume)) {
        Ok(info) => Resolved::Volume(info),
        Err(error) if missing(&error) => Resolved::Unmanaged,
        Err(error) => Resolved::Failed(error.message().to_owned()),
    }
}

/// Resolves each disk's storage to a libvirt volume, in one job on the worker.
pub async fn resolve_volumes(
    connection: &Connection,
    storage: &[DiskStorage],
) -> Result<Vec<Resolved>, DriverError> {
    let sources: Vec<DiskSource> = storage.iter().map(|s| s.source.clone()).collect();
    connection
        .call(move |conn| Ok(sources.iter().map(|s| resolve_one(conn, s)).collect()))
        .await
}

/// Every machine of the host, as read for shared-disk detection: the persistent definition,
/// plus the live one of running machines (a disk may be hot-plugged live only). One job on
/// the worker; machines that vanish meanwhile or cannot be read are skipped.
pub async fn host_domains(connection: &Connection) -> Result<Vec<DomainXml>, DriverError> {
    let texts = connection
        .call(|conn| {
            let mut texts = Vec::new();
            for domain in conn.list_all_domains(0)? {
                let active = domain.is_active().unwrap_or(false);
                let persistent = domain.is_persistent().unwrap_or(false);
                if persistent && let Ok(xml) = domain.xml_desc(virt::sys::VIR_DOMAIN_XML_INACTIVE) {
                    texts.push(xml);
                }
                if active && let Ok(xml) = domain.xml_desc(0) {
                    texts.push(xml);
                }
            }
            Ok(texts)
        })
        .await?;
    Ok(texts
        .iter()
        .filter_map(|xml| DomainXml::parse(xml).ok())
        .collect())
}

/// How many snapshots libvirt has metadata for (0 where the driver has no snapshots).
pub async fn snapshot_count(connection: &Connection, uuid: DomainUuid) -> u32 {
    connection
        .call(move |conn| {
            conn.lookup_domain_by_uuid_string(&uuid.to_string())?
                .num_snapshots(0)
        })
        .await
        .unwrap_or(0)
}

/// Deletes a machine as planned: forced off if running, undefined with its managed save,
/// snapshot metadata and NVRAM (the driver's `undefine`), then the chosen volumes. Fails only
/// if the machine could not be removed; volumes that could not be deleted are listed in the
/// outcome.
pub async fn delete_domain(
    connection: &Connection,
    uuid: DomainUuid,
    plan: &DeletePlan,
) -> Result<DeleteOutcome, DriverError> {
    if plan.force_off {
        match connection.force_off(uuid).await {
            // A transient machine is gone once stopped.
            Ok(()) | Err(DriverError::NotFound { .. }) => {}
            // It stopped by itself meanwhile.
            Err(error)
                if error.libvirt_code() == Some(virt::sys::VIR_ERR_OPERATION_INVALID as i32) => {}
            Err(error) => return Err(error),
        }
    }
    match connection.undefine(uuid).await {
        Ok(()) => {}
        Err(DriverError::NotFound { .. }) if plan.force_off => {}
        Err(error) => return Err(error),
    }
    let mut outcome = DeleteOutcome::default();
    for path in &plan.volumes {
        match connection.delete_volume(path.clone()).await {
            Ok(()) => outcome.deleted.push(path.clone()),
            Err(error) => outcome.failed.push((path.clone(), error.to_string())),
        }
    }
    Ok(outcome)
}
