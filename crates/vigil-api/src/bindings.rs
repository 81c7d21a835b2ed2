//! The TypeScript types of everything the console sends to the web UI, generated from the Rust types
//! with ts-rs. `ui/src/lib/bindings.ts` is this output; the test fails when it is stale, and
//! `VIGIL_UPDATE_BINDINGS=1 cargo test -p vigil-api bindings` rewrites it.

use ts_rs::TS;

use crate::map::{BuildingView, DeviceDetail, FloorDevices, FloorView, Overview, PlacedDevice, SearchHit, SiteView};
use crate::patrol::{
    CheckpointMark, Compliance, ExceptionKind, GuardLast, IncidentResponse, LogFilter, LogLine, LogPage, MarkedLine,
    PatrolBoard, PatrolException, RadioCheckIn, ReviewItem, RoundCheckpoint, RoundState, RoundView, RouteInput,
    RouteView, ShiftReview, SignOffView,
};
use crate::patrol_live::PatrolMarks;
use crate::report::{ExportKind, Exported};
use crate::wand::{WandMappingInput, WandMappingView, WandPreviewRow, WandRejectedRow, WandReport};
use crate::{shell, AccountForm, AccountView, Dc09AccountView, IncidentSettingsView, SettingsView};
use crate::{
    ApiError, DeviceMoveInput, ErrorCode, GuardView, IncidentAction, IncidentDetail, IncidentView, LinkedCamera,
    PointView, Refusal, SessionView, TimelineKind, TimelineLine,
};
use vigil_domain::event::LegDef;
use vigil_domain::incident::{ActionKind, CloseCategory, Escalation, IncidentState, Mark, Role};
use vigil_domain::patrol::{Flag, Method, Source};
use vigil_domain::schedule::{Schedule, Shift, ShiftKind};
use vigil_domain::{
    BuildingKind, CameraView, ClockFault, Code, Dc09Address, Device, DeviceCounts, DeviceKind, DeviceStatus, Label,
    PlanSize, Rect, RowMeta,
};
use vigil_sync::{EnrollmentView, SyncState, SyncView, Transport};

fn generate() -> String {
    let decls = [
        Code::decl(),
        Label::decl(),
        Rect::decl(),
        PlanSize::decl(),
        RowMeta::decl(),
        BuildingKind::decl(),
        DeviceKind::decl(),
        DeviceStatus::decl(),
        CameraView::decl(),
        Dc09Address::decl(),
        Device::decl(),
        DeviceCounts::decl(),
        Overview::decl(),
        SiteView::decl(),
        BuildingView::decl(),
        FloorView::decl(),
        FloorDevices::decl(),
        DeviceDetail::decl(),
        SearchHit::decl(),
        PlacedDevice::decl(),
        DeviceMoveInput::decl(),
        ErrorCode::decl(),
        SyncState::decl(),
        SyncView::decl(),
        EnrollmentView::decl(),
        Transport::decl(),
        vigil_domain::account::AccountProblem::decl(),
        Refusal::decl(),
        ApiError::decl(),
        SessionView::decl(),
        AccountView::decl(),
        AccountForm::decl(),
        crate::PublishReport::decl(),
        PointView::decl(),
        ClockFault::decl(),
        Mark::decl(),
        Role::decl(),
        IncidentState::decl(),
        CloseCategory::decl(),
        Escalation::decl(),
        ActionKind::decl(),
        TimelineKind::decl(),
        TimelineLine::decl(),
        IncidentView::decl(),
        LinkedCamera::decl(),
        IncidentDetail::decl(),
        GuardView::decl(),
        IncidentAction::decl(),
        Source::decl(),
        Method::decl(),
        Flag::decl(),
        ShiftKind::decl(),
        Shift::decl(),
        Schedule::decl(),
        LegDef::decl(),
        RoundState::decl(),
        CheckpointMark::decl(),
        RoundCheckpoint::decl(),
        RoundView::decl(),
        GuardLast::decl(),
        PatrolBoard::decl(),
        PatrolMarks::decl(),
        RadioCheckIn::decl(),
        RouteView::decl(),
        RouteInput::decl(),
        ExceptionKind::decl(),
        PatrolException::decl(),
        Compliance::decl(),
        SignOffView::decl(),
        IncidentResponse::decl(),
        ShiftReview::decl(),
        ReviewItem::decl(),
        MarkedLine::decl(),
        LogLine::decl(),
        LogFilter::decl(),
        LogPage::decl(),
        ExportKind::decl(),
        Exported::decl(),
        WandPreviewRow::decl(),
        WandRejectedRow::decl(),
        WandReport::decl(),
        WandMappingInput::decl(),
        WandMappingView::decl(),
        shell::Language::decl(),
        shell::Startup::decl(),
        shell::EngineState::decl(),
        shell::EngineStatus::decl(),
        shell::SirenStatus::decl(),
        shell::IncidentChange::decl(),
        shell::IncidentNews::decl(),
        Dc09AccountView::decl(),
        IncidentSettingsView::decl(),
        SettingsView::decl(),
    ];
    let mut out =
        String::from("// Generated from the Rust types by crates/vigil-api/src/bindings.rs. Do not edit.\n\n");
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn bindings_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts");
    let fresh = generate();
    if std::env::var_os("VIGIL_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).expect("write bindings");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "{} is stale: run `VIGIL_UPDATE_BINDINGS=1 cargo test -p vigil-api bindings` and commit the result",
        path.display()
    );
}
