"""The 個人情報ファイル簿 built from the registry, the permission map and register.toml.

One personal-information file per key group that holds pupil data (kinds sharing a key are
kept, seen and encrypted together: ``storage.key_groups``). What each file records (the
columns), how long (the retention classes) and who may see it (the roles of the map) are
read from the registry and the policy at the moment the register is made, so it cannot fall
behind them; the rest (purpose, subjects, source …) comes from ``register.toml``. The
register is about the files, never their content: nothing here reads the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from storage.key_groups import key_groups
from storage.registry import DatasetKind, Registry
from toda_desktop.policy.model import Policy, Role
from toda_desktop.register.settings import Office, RegisterSettings, RegisterSettingsError

LINKED_NOTE = "（児童生徒基本情報ファイルの児童生徒に結び付けて記録）"
NONE = "なし"
FORMER_NOTE = "。卒業・転出後も可"  # the role's former_pupils setting (権限設定)


@dataclass(frozen=True)
class RetentionLine:
    """The retention of some kinds of a file (one class)."""

    kinds: tuple[str, ...]  # kind labels
    label: str  # the class (学籍に関する記録 …)
    period: str  # 卒業・転出から20年
    action: str  # what happens at the end
    basis: str  # the law or the city's rule


@dataclass(frozen=True)
class RoleAccess:
    key: str
    label: str
    export: bool  # may also write it to a file (出力)
    former: bool  # keeps seeing pupils who have left (卒業・転出)


@dataclass(frozen=True)
class RegisterFile:
    group: str
    name: str
    purpose: str
    kinds: tuple[str, ...]  # the registry's kinds (labels) that make the file
    items: tuple[tuple[str, tuple[str, ...], bool], ...]  # (kind, columns, linked to a pupil)
    subjects: str
    source: str
    sensitive: str
    retention: tuple[RetentionLine, ...]
    roles: tuple[RoleAccess, ...]
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class Register:
    office: Office
    files: tuple[RegisterFile, ...]
    made_on: date
    format_version: int  # of the registry (データ登録簿)
    policy_version: int


def _retention(registry: Registry, kinds: list[DatasetKind]) -> tuple[RetentionLine, ...]:
    lines: dict[str, list[str]] = {}
    for kind in kinds:
        lines.setdefault(kind.retention, []).append(kind.label)
    out = []
    for key, labels in lines.items():
        rc = registry.retention(key)
        out.append(RetentionLine(tuple(labels), rc.label, rc.period_label, rc.action_label,
                                 rc.basis))
    return tuple(out)


def _roles(policy: Policy, kinds: list[DatasetKind]) -> tuple[RoleAccess, ...]:
    def sees(role: Role) -> bool:
        return role.may("view") and any(role.sees(k) for k in kinds)

    return tuple(RoleAccess(r.key, r.label, r.may("export"), r.former_pupils)
                 for r in policy.roles if sees(r))


def build_register(registry: Registry, policy: Policy, settings: RegisterSettings,
                   made_on: date) -> Register:
    """The register as of ``made_on``. A group holding pupil data without an entry in
    register.toml is an error: the register would otherwise omit a file."""
    files = []
    for group in key_groups(registry):
        kinds = [registry.kind(name) for name in group.kinds if registry.kind(name).pupil]
        if not kinds:
            continue  # no personal data (学校単位の記録, 設問マスタ …)
        entry = settings.file(group.name)
        if entry is None:
            raise RegisterSettingsError(
                f"register.toml has no [files.{group.name}] for {', '.join(group.kinds)}")
        files.append(RegisterFile(
            group=group.name, name=entry.name, purpose=entry.purpose,
            kinds=tuple(k.label for k in kinds),
            items=tuple((k.label, tuple(c.label for c in k.stored_columns), k.links_to_pupil)
                        for k in kinds),
            subjects=entry.subjects, source=entry.source, sensitive=entry.sensitive,
            retention=_retention(registry, kinds), roles=_roles(policy, kinds),
            recipients=entry.recipients,
        ))
    return Register(settings.office, tuple(files), made_on, registry.format_version,
                    policy.version)


# -- as text ------------------------------------------------------------------------------


def items_text(f: RegisterFile) -> str:
    return "\n".join(f"{kind}: {'、'.join(columns)}{LINKED_NOTE if linked else ''}"
                     for kind, columns, linked in f.items)


def retention_text(f: RegisterFile) -> str:
    return "\n".join(f"{'・'.join(r.kinds)}: {r.label}（{r.period}、その後は{r.action}）"
                     for r in f.retention)


def basis_text(f: RegisterFile) -> str:
    return "\n".join(f"{r.label}: {r.basis}" for r in f.retention)


def roles_text(f: RegisterFile) -> str:
    if not f.roles:
        return NONE
    return "\n".join(
        f"{r.label}（閲覧{'・出力' if r.export else ''}{FORMER_NOTE if r.former else ''}）"
        for r in f.roles)


HEADER = (
    "個人情報ファイルの名称", "行政機関等の名称", "担当する組織", "利用目的", "記録項目",
    "本人として記録される個人の範囲", "記録情報の収集方法", "要配慮個人情報",
    "保存期間とその後の扱い", "保存期間の根拠", "閲覧できる役割（権限設定）", "経常的な提供先",
    "開示請求等を受け付ける組織", "ファイルの種別", "データの種類",
)


def register_rows(register: Register) -> list[list[str]]:
    """One row per file, in the order of ``HEADER`` (for Excel and CSV)."""
    o = register.office
    return [
        [f.name, o.organization, o.department, f.purpose, items_text(f), f.subjects, f.source,
         f.sensitive or "含まない", retention_text(f), basis_text(f), roles_text(f),
         "\n".join(f.recipients) or NONE, o.disclosure_desk, o.file_type, "、".join(f.kinds)]
        for f in register.files
    ]


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", "<br>")


def render_markdown(register: Register) -> str:
    o = register.office
    lines = [
        f"# 個人情報ファイル簿（{o.organization} {o.department}）",
        "",
        f"{register.made_on.year}年{register.made_on.month}月{register.made_on.day}日現在。"
        "データの登録簿（`resources/datasets.toml`）、権限設定、`resources/register.toml` から"
        f"生成しています（登録簿 v{register.format_version}・"
        f"権限設定 v{register.policy_version}）。"
        "個人情報そのものは含みません。",
        "",
        "| 個人情報ファイル | 利用目的 | 保存期間 |",
        "|---|---|---|",
    ]
    for f in register.files:
        lines.append(f"| {_cell(f.name)} | {_cell(f.purpose)} | {_cell(retention_text(f))} |")
    for f, row in zip(register.files, register_rows(register), strict=True):
        lines += ["", f"## {f.name}", "", "| 項目 | 内容 |", "|---|---|"]
        lines += [f"| {h} | {_cell(v)} |" for h, v in zip(HEADER[1:], row[1:], strict=True)]
    return "\n".join(lines) + "\n"
