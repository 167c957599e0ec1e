"""The running application: which window is shown and the sign-in / lock / sign-out flow.

Built once by :func:`ui.app.main` (or by a test) with everything it needs; it owns the
windows and hands each page the service callables it uses. Pages that need a function of the
permission map are added only when ``signed.may(...)`` says so (the services still enforce
the map; hiding is for clarity). While someone is signed in, a :class:`SessionGuard` locks
the screen after the idle limit and signs out at the session's maximum length.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from kernel.date_style import DateStyle
from toda_desktop.backup.service import BackupDone
from toda_desktop.extraction.engine import describe as describe_node
from ui.accounts.key_rotation import key_rotation_row
from ui.accounts.own_password import open_own_password_dialog
from ui.accounts.page import AccountsPage
from ui.audit.page import AuditPage
from ui.background import BackgroundRunner, TaskContext
from ui.backup.dialog import open_backup_dialog
from ui.cases.pages import CasePages, make_case_pages
from ui.export_purpose.page import TITLE as APPROVALS_TITLE
from ui.export_purpose.page import ExportApprovalsPage
from ui.extraction.page import ExtractionPage
from ui.importing.history import HistoryPage
from ui.importing.wizard import ImportPage
from ui.karte.page import KartePage
from ui.lock_screen import SESSION_CHECK_MS, LockScreen, SessionGuard
from ui.login_window import LoginWindow
from ui.main_window import MainWindow
from ui.overview.page import OverviewPage
from ui.policy.page import PolicyPage
from ui.printing.flow import PrintFlow
from ui.printing.register_page import TITLE as PRINT_REGISTER_TITLE
from ui.printing.register_page import PrintRegisterPage
from ui.research.dialog import add_research_menu, open_research_dialog
from ui.retention.page import TITLE as RETENTION_TITLE
from ui.retention.page import RetentionPage
from ui.retention.page import page_calls as retention_page_calls
from ui.review.page import ReviewPage, describe_pupil_with
from ui.risk.pages import add_risk_pages
from ui.school_karte.page import TITLE as SCHOOL_KARTE_TITLE
from ui.school_karte.page import SchoolKartePage
from ui.search.page import SearchPage
from ui.table_copy import copy_logged

if TYPE_CHECKING:
    from toda_desktop.composition import Application, SignedIn

ADMIN_SECTION = "管理"
PUPIL_SECTION = "児童生徒"
SEARCH_TITLE = "児童生徒検索"
KARTE_TITLE = "児童生徒カルテ"
EXTRACTION_TITLE = "抽出"
IMPORT_SECTION = "データの取込"
REVIEW_TITLE = "名寄せ確認"
SCHOOL_SECTION = "学校への還元"


def expired_notice(max_session: timedelta) -> str:
    hours = max_session.total_seconds() / 3600
    limit = f"{hours:g}時間" if hours >= 1 else f"{max_session.total_seconds() / 60:g}分"
    return (
        f"利用時間の上限（{limit}）に達したためサインアウトしました。"
        "もう一度サインインしてください。"
    )


# How long sign-out or quit waits for cancelled training to reach its next step.
ANALYSIS_DRAIN_S = 120.0
SHUTDOWN_SLACK_S = 30.0  # closing the store after that


class Shell(QObject):
    """Switches between the login window and the main window; ends the application."""

    main_window_shown = Signal(object)  # MainWindow
    # The store changed (an import, a rollback, a review decision; lists made, an alert marked,
    # a model trained: ``ui.page.DERIVED_KINDS``): the kinds that changed. Every page with
    # ``data_changed`` hears of it (データ概要, search results, open kartes, the risk pages).
    changed = Signal(object)  # frozenset[str]
    signed_out = Signal()
    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        app_ctx: Application,
        runner: BackgroundRunner,
        date_style: DateStyle,
        on_quit: Callable[[], None],
        *,
        activity_source: QObject | None = None,
        session_check_ms: int = SESSION_CHECK_MS,
        analysis_runner: BackgroundRunner | None = None,
    ) -> None:
        """``activity_source`` is the QApplication (keyboard and mouse activity anywhere
        keeps the session from locking); without one, the session locks after the idle
        limit regardless of activity. ``analysis_runner``: a second worker for model
        training and evaluation (minutes), so that the other pages keep loading meanwhile;
        the shell cancels and waits for it before signing out or closing the store."""
        super().__init__()
        self._app_ctx = app_ctx
        self._runner = runner
        self._analysis_runner = analysis_runner
        self._date_style = date_style
        self._on_quit = on_quit
        self._activity_source = activity_source
        self._session_check_ms = session_check_ms
        self._signed: SignedIn | None = None
        self._closed = False
        self.guard: SessionGuard | None = None
        self.login_window: LoginWindow | None = None
        self.main_window: MainWindow | None = None
        self.lock_screen: LockScreen | None = None
        self._backup_offered = False  # this session's sign-out has offered a backup

    @property
    def signed(self) -> SignedIn | None:
        return self._signed

    def show_login(self, notice: str | None = None, *,
                   window: LoginWindow | None = None) -> LoginWindow:
        """``window``: the one start-up showed before the shell was built (issue 16)."""
        window = window or LoginWindow(self._app_ctx.header, self._app_ctx.start_sign_in,
                                       self._runner)
        window.signed_in.connect(self._on_signed_in)
        if notice:
            window.show_notice(notice)
        window.show()
        self.login_window = window
        return window

    def _on_signed_in(self, signed: SignedIn) -> None:
        self._signed = signed
        window = MainWindow(signed.user, self._app_ctx.header)
        window.sign_out_requested.connect(self.sign_out)
        window.password_change_requested.connect(
            lambda: open_own_password_dialog(window, signed.own_password.change_password,
                                             self._runner))
        window.quit_requested.connect(self.quit)
        window.set_can_print(signed.may("print"))  # Ctrl+P (issue 16)
        window.copy_requested.connect(  # Ctrl+C in a table: logged, then copied (issue 16)
            lambda cells: copy_logged(cells, signed.clipboard.record_copy, self._runner, window))
        if signed.may("research_export"):  # 研究用データの作成 (issue 13)
            add_research_menu(window, lambda: open_research_dialog(
                window, signed.research, self._runner, self._date_style))
        self._backup_offered = False
        window.backup_action.setVisible(signed.backup.may_create())
        window.backup_requested.connect(lambda: self._open_backup(window, signed))
        self._add_pages(window, signed)
        self.changed.connect(window.data_changed)
        window.show()  # before closing the login window, or Qt sees no window left and quits
        self.main_window = window
        if self.login_window is not None:
            self.login_window.close()
            self.login_window.deleteLater()
            self.login_window = None
        guard = SessionGuard(signed, self._activity_source, self._session_check_ms, self)
        guard.lock_needed.connect(self.lock)
        guard.expired.connect(self._expired)
        self.guard = guard
        self.main_window_shown.emit(window)

    def _add_pages(self, window: MainWindow, signed: SignedIn) -> None:
        """Pages get only the service calls they use."""
        runner, style = self._runner, self._date_style
        overview = OverviewPage(signed.overview, signed.check_integrity, runner, style,
                                load_start=signed.start_of_day.start_of_day)
        window.add_page("データ概要", overview)
        session = signed.user
        open_karte = None
        # One print flow for the pages that print a sheet (issue 14); None without ``print``.
        printer = PrintFlow(signed.printing, runner, style, window) if signed.may("print") else None
        cases = make_case_pages(window, signed, runner, style, printer)  # 支援ケース (issue 14)
        if signed.may("pupil_search"):
            open_karte = self._add_pupil_pages(window, signed, printer, cases)
        if cases is not None:
            cases.add_to(window)
            self.unlocked.connect(cases.page.flush_drafts)  # edits made just before a lock
        add_risk_pages(window, signed, runner, style, open_karte=open_karte,
                       analysis_runner=self._analysis_runner, on_changed=self.changed.emit,
                       printer=printer,
                       open_case=cases.open_for_alert if cases is not None else None,
                       case_links=(signed.cases.alert_cases, cases.open_case)
                       if cases is not None else None)  # the alert list's ケース column
        if signed.may("school_karte"):  # 学校カルテ (issue 15): aggregates only, no names
            window.add_page(SCHOOL_KARTE_TITLE, SchoolKartePage(
                signed.school_karte, runner, style, printer=printer), SCHOOL_SECTION)

        if signed.may("import"):
            self._add_import_pages(window, signed)
        if signed.may("admin"):
            accounts_page = AccountsPage(signed.account_admin, signed.policy.roles, runner,
                                         session.login_id)
            page_layout = accounts_page.layout()
            if page_layout is not None:  # 「データの鍵の更新…」 below the lists
                page_layout.addWidget(key_rotation_row(accounts_page, signed.key_rotation, runner))
            window.add_page("アカウント管理", accounts_page, ADMIN_SECTION)
        if signed.may("audit_view"):
            audit = signed.audit_view
            window.add_page(
                "監査ログ",
                AuditPage(audit.entries, audit.export_csv, audit.verify, runner, style,
                          acknowledge_breaks=audit.acknowledge_breaks
                          if signed.may("admin") else None,
                          outside_folder=(audit.outside_folder, audit.set_outside_folder)
                          if signed.may("admin") else None),
                ADMIN_SECTION,
            )
        if signed.may("policy_edit"):
            policy = signed.policy_admin
            register = signed.register  # 個人情報ファイル簿, made from the map (issue 13)
            window.add_page(
                "権限設定", PolicyPage(
                    policy.current_text, policy.update, runner,
                    export_register=lambda path, overwrite: register.export(
                        path, overwrite=overwrite)),
                ADMIN_SECTION,
            )
            approvals = ExportApprovalsPage(signed.export_purposes, runner, self._date_style)
            window.add_page(APPROVALS_TITLE, approvals, ADMIN_SECTION)
            approvals.pending_count.connect(
                lambda n: window.set_badge(APPROVALS_TITLE, n, f"承認待ち {n:,}件"))
            approvals.count_pending()
        if signed.may("retention") or signed.may("retention_approve"):
            calls = retention_page_calls(signed.retention, signed.may)
            window.add_page(RETENTION_TITLE, RetentionPage(*calls, runner, style), ADMIN_SECTION)
        overview.start_view.set_pages(set(window.page_titles()))  # 「…を開く」 (issue 16)
        overview.start_view.open_requested.connect(window.show_page)

    def _add_pupil_pages(
        self, window: MainWindow, signed: SignedIn, printer: PrintFlow | None = None,
        cases: CasePages | None = None,
    ) -> Callable[[int], None] | None:
        """児童生徒検索, 児童生徒カルテ (with ``view``) and 抽出; search and extraction results
        open a pupil's karte. Returns how to open a karte (None without ``view``)."""
        runner, style, registry = self._runner, self._date_style, signed.registry

        search_page = SearchPage(signed.search, runner, style, can_export=signed.may("export"),
                                 purposes=signed.export_purposes)
        risk = signed.risk
        karte_page = (KartePage(
            signed.karte, runner, style,
            explanations=risk.explanations if risk.may_see_alerts() else None,
            domain_judgments=risk.domain_judgments if risk.may_see_survey_domains() else None,
            printer=printer,
            case_section=cases.karte_section if cases is not None else None,
        ) if signed.may("view") else None)
        extraction_page = ExtractionPage(
            signed.extraction, runner, style,
            describe=lambda node, year=None: describe_node(node, registry, year),
            filter_options=signed.search.filter_options,
            can_export=signed.may("export"), can_delete_any=signed.may("edit"),
            login_id=signed.user.login_id, purposes=signed.export_purposes, printer=printer,
        )
        if cases is not None:  # 「ケースを開く」 in the results' context menus (issue 14)
            search_page.add_case_action(cases.open_search_result)
            extraction_page.results.add_case_action(cases.open_extraction_result)
        window.add_page(SEARCH_TITLE, search_page, PUPIL_SECTION)
        window.set_search_page(SEARCH_TITLE)  # Ctrl+F (issue 16)
        if karte_page is not None:
            window.add_page(KARTE_TITLE, karte_page, PUPIL_SECTION)

            def open_karte(pupil_id: int) -> None:
                window.show_page(KARTE_TITLE)
                karte_page.open_pupil(pupil_id)

            search_page.open_requested.connect(open_karte)
            extraction_page.open_requested.connect(open_karte)
        window.add_page(EXTRACTION_TITLE, extraction_page, PUPIL_SECTION)
        if printer is not None or signed.may("policy_edit"):  # 印刷の記録 (issue 14)
            sheets = PrintRegisterPage(signed.printing, runner, style,
                                       everyone=signed.may("policy_edit"))
            window.add_page(PRINT_REGISTER_TITLE, sheets, PUPIL_SECTION)
            sheets.overdue_count.connect(lambda n: window.set_badge(
                PRINT_REGISTER_TITLE, n, f"返却・廃棄期限を過ぎた印刷物 {n:,}件"))
            sheets.count_overdue()
        return open_karte if karte_page is not None else None

    def _add_import_pages(self, window: MainWindow, signed: SignedIn) -> None:
        """取込, 名寄せ確認 (with the open count as a badge) and 取込履歴."""
        runner, registry = self._runner, signed.registry
        importer, review = signed.importing, signed.review
        kinds = signed.visible_kinds()
        master = registry.master.name
        import_page = ImportPage(
            importer, kinds, runner, master_kind=master,
            can_overwrite=signed.may("edit"), can_export=signed.may("export"),
            purposes=signed.export_purposes, date_style=self._date_style,
        )
        review_page = ReviewPage(
            review,
            lambda kind: {c.key: c.label for c in registry.kind(kind).columns},
            runner,
            describe_pupil_with(review, self._date_style),
            date_style=self._date_style,
        )
        history_page = HistoryPage(
            importer.batches, importer.rollback, {k.name: k.label for k in registry.kinds},
            runner, self._date_style,
        )
        window.add_page("取込", import_page, IMPORT_SECTION)
        window.add_page(REVIEW_TITLE, review_page, IMPORT_SECTION)
        window.add_page("取込履歴", history_page, IMPORT_SECTION)

        def show_count(count: int) -> None:
            if self.main_window is window or self.main_window is None:
                window.set_badge(REVIEW_TITLE, count, f"確認待ち {count:,}件")

        def refresh_count() -> None:
            if window.locked or self._signed is not signed:
                return
            runner.run(lambda _ctx: review.open_count(), on_success=show_count,
                       parent=window, progress_dialog=False)

        def queue_changed(kinds: frozenset[str]) -> None:
            review_page.mark_stale()
            refresh_count()
            self.changed.emit(kinds)

        review_page.open_count_changed.connect(show_count)
        review_page.decision_recorded.connect(lambda kind: self.changed.emit(frozenset({kind})))
        import_page.imported.connect(lambda kind: queue_changed(frozenset({kind})))
        history_page.rolled_back.connect(queue_changed)
        refresh_count()

    # -- idle lock and the session's end ---------------------------------------------------

    def check_session(self) -> None:
        """What the guard's timer does (tests call it instead of waiting)."""
        if self.guard is not None:
            self.guard.check()

    def lock(self) -> None:
        """Hide all data behind the lock screen; unlocking needs the palm again."""
        signed, window = self._signed, self.main_window
        if signed is None or window is None or window.locked:
            return
        screen = LockScreen(
            signed.user, self._app_ctx.header, signed.resume_with_palm, self._runner
        )
        screen.unlocked.connect(self._unlock)
        screen.sign_out_requested.connect(self.sign_out)
        window.show_lock(screen)
        self.lock_screen = screen
        self._runner.run(  # the audit entry; the screen is already hidden
            lambda _ctx: signed.lock(),
            on_success=lambda _result: None,
            parent=None,
            progress_dialog=False,
        )
        self.locked.emit()

    def _unlock(self) -> None:
        window = self.main_window
        if window is None:
            return
        window.show_content()
        self.lock_screen = None
        if self.guard is not None:
            self.guard.unlocked()
        self.unlocked.emit()

    def _expired(self) -> None:
        self.sign_out(notice=expired_notice(self._app_ctx.max_session))

    # -- signing out and quitting ----------------------------------------------------------

    def _stop_guard(self) -> None:
        if self.guard is not None:
            self.guard.stop()
            self.guard.deleteLater()
            self.guard = None

    def _cancel_all(self) -> None:
        self._runner.cancel_all()
        if self._analysis_runner is not None:
            self._analysis_runner.cancel_all()

    def _drain_analysis(self) -> None:
        """On the main worker: wait until cancelled training has stopped (at its next step)."""
        if self._analysis_runner is not None:
            # Shut down already, or still busy: its store calls will then fail cleanly.
            with contextlib.suppress(RuntimeError, TimeoutError):
                self._analysis_runner.call_blocking(lambda: None, timeout=ANALYSIS_DRAIN_S)

    def sign_out(self, notice: str | None = None) -> None:
        """End the session on the worker, then go back to the login window."""
        signed, window = self._signed, self.main_window
        if signed is None or window is None:
            return
        if (notice is None and not self._backup_offered and not window.locked
                and signed.backup.may_create()):
            self._backup_offered = True  # asked once; whatever is chosen, sign-out goes on
            self._offer_backup(window, signed)
            return
        self._stop_guard()
        self._cancel_all()
        window.setEnabled(False)

        def end(_ctx: object) -> None:
            self._drain_analysis()
            signed.sign_out()

        op = self._runner.run(
            end,
            on_success=lambda _result: None,
            parent=window,
            label="サインアウトしています…",
        )
        # Back to the login window even if sign-out failed (the error dialog says so).
        op.finished.connect(lambda: self._back_to_login(notice))

    def _open_backup(self, window: MainWindow, signed: SignedIn,
                     question: str | None = None, then: Callable[[], None] | None = None,
                     ) -> None:
        backup = signed.backup

        def create(folder: Path, keep: int, offer_days: int, ctx: TaskContext) -> BackupDone:
            backup.set_settings(keep=keep, offer_hours=offer_days * 24)
            return backup.create(folder, ctx.progress, ctx.cancelled)

        open_backup_dialog(window, backup.settings, create, self._runner, question=question,
                           then=then, date_style=self._date_style)

    def _offer_backup(self, window: MainWindow, signed: SignedIn) -> None:
        """At sign-out: when the last backup is older than the setting, ask (with the
        dialog's progress and 中止) before signing out."""
        def decided(question: str | None) -> None:
            if question is None:
                self.sign_out()
            else:
                self._open_backup(window, signed, question, then=self.sign_out)

        self._runner.run(lambda _ctx: signed.backup.sign_out_question(), on_success=decided,
                         parent=window, progress_dialog=False,
                         on_user_error=lambda _message: self.sign_out())

    def _back_to_login(self, notice: str | None = None) -> None:
        window = self.main_window
        self._signed = None
        self.lock_screen = None
        if window is None:
            return
        self.show_login(notice)
        with contextlib.suppress(RuntimeError):  # the pages of a closed window hear nothing
            self.changed.disconnect(window.data_changed)
        window.close_from_shell()
        window.deleteLater()
        self.main_window = None
        self.signed_out.emit()

    def _take_pending_sign_in(self) -> Callable[[], None] | None:
        """An unfinished two-step sign-in holds the store open: its cancel, if any."""
        pending = self.login_window.take_pending() if self.login_window is not None else None
        return pending.cancel if pending is not None else None

    def quit(self) -> None:
        """Sign out and close the store on the worker, then end the event loop."""
        self._stop_guard()
        self._cancel_all()
        for window in (self.main_window, self.login_window):
            if window is not None:
                window.hide()
        app_ctx = self._app_ctx
        cancel_pending = self._take_pending_sign_in()

        def close(_ctx: object) -> None:
            self._drain_analysis()
            if cancel_pending is not None:
                cancel_pending()
            app_ctx.close()

        op = self._runner.run(
            close, on_success=self._store_closed, parent=None, progress_dialog=False
        )
        op.finished.connect(self._on_quit)  # quit even if closing failed (error was shown)

    def _store_closed(self, _result: None) -> None:
        self._closed = True

    def active_window(self) -> QWidget | None:
        """The window dialogs should belong to."""
        return self.main_window or self.login_window

    def shutdown(self) -> None:
        """Final clean-up after the event loop (or a test) ends: close windows and the store,
        join the worker thread. Idempotent."""
        self._stop_guard()
        cancel_pending = self._take_pending_sign_in()
        for window in (self.main_window, self.login_window):
            if window is not None:
                if isinstance(window, MainWindow):
                    window.close_from_shell()
                else:
                    window.close()
                window.deleteLater()
        self.main_window = self.login_window = None
        self.lock_screen = None
        closed: list[bool] = []
        close: Callable[[], None] | None = None
        try:
            if not self._closed:
                self._closed = True
                self._cancel_all()
                app_ctx = self._app_ctx

                def close() -> None:
                    self._drain_analysis()
                    if cancel_pending is not None:
                        cancel_pending()
                    app_ctx.close()
                    closed.append(True)

                try:
                    # Long enough for cancelled training to stop first (ANALYSIS_DRAIN_S).
                    self._runner.call_blocking(close, timeout=ANALYSIS_DRAIN_S + SHUTDOWN_SLACK_S)
                except TimeoutError:
                    pass  # still queued or closing on the worker: see below
                except RuntimeError:
                    close()  # the worker is already gone
        finally:
            # Whatever happened above, no worker outlives the shell (nor the QApplication).
            if self._analysis_runner is not None:
                self._analysis_runner.shutdown()
            self._runner.shutdown()
            if close is not None and not closed:
                close()  # the join cancelled it while it waited: sign out and close here
