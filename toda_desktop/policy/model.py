"""The permission map as data, and the one place that answers "may this role do this?".

Services call ``require`` before every access, so the rule holds for the GUI and the command
line alike; the UI may hide buttons, but never decides.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from resources import resource_path
from storage.registry import DatasetKind, Registry
from toda_desktop.errors import PermissionDenied

FUNCTIONS = frozenset(
    {
        "admin", "pupil_search", "view", "edit", "import", "export", "export_aggregate",
        "print", "analysis", "alerts", "audit_view", "policy_edit",
        "research_export", "research_approve",  # issue 13: research extracts
        "retention", "retention_approve",  # issue 13: purge plans and their approval
        "case_edit",  # issue 14: support cases (児童生徒理解・支援シート) of the role's domains
        "school_karte",  # issue 15: per-school aggregates (survey, growth, basic information)
    }
)
FUNCTION_LABELS = {
    "admin": "管理機能",
    "pupil_search": "児童生徒検索",
    "view": "閲覧",
    "edit": "編集",
    "import": "取込",
    "export": "出力",
    "export_aggregate": "集計の出力",  # issue 13: files without pupils ("export" includes it)
    "print": "印刷",
    "analysis": "分析",
    "alerts": "見守りアラート",
    "audit_view": "監査ログの閲覧",
    "policy_edit": "権限設定の変更",
    "research_export": "研究用データの作成",
    "research_approve": "研究用データの承認",
    "retention": "保存期間の管理",
    "retention_approve": "保存期間の削除計画の承認",
    "case_edit": "支援ケースの記録",  # issue 14
    "school_karte": "学校カルテ",  # issue 15
}
# A per-role setting beside the functions (issue 13): whether the role still finds pupils
# who have left (graduated or transferred out) in search, karte and extraction.
FORMER_PUPILS_LABEL = "卒業・転出した児童生徒"


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    functions: frozenset[str]
    domains: frozenset[str]
    topics: frozenset[str]
    # Pupils whose last enrolled school year is before the store's latest one are found and
    # opened only by roles that need them for follow-up (default: not).
    former_pupils: bool = False

    def may(self, function: str) -> bool:
        return function in self.functions

    def sees(self, kind: DatasetKind) -> bool:
        """Whether rows of this dataset kind are within the role's need to know."""
        if "*" in self.domains or kind.domain in self.domains:
            return True
        return any(t in self.topics for t in kind.topics)


@dataclass(frozen=True)
class Policy:
    version: int
    roles: tuple[Role, ...]

    def role(self, key: str) -> Role:
        for r in self.roles:
            if r.key == key:
                return r
        raise KeyError(f"unknown role {key!r}")

    def require(self, role_key: str, function: str) -> Role:
        role = self.role(role_key)
        if not role.may(function):
            raise PermissionDenied(
                f"この操作（{FUNCTION_LABELS.get(function, function)}）を行う権限がありません。"
            )
        return role

    def visible_kinds(self, role_key: str, registry: Registry) -> tuple[DatasetKind, ...]:
        role = self.role(role_key)
        return tuple(k for k in registry.kinds if role.sees(k))


# Data minimization for the pupil IDs: which dataset kind a role must see to see (and search
# by) each ID. Every searching role sees the master (宛名番号); 県学調番号 is the key of the
# academic survey, the Google account the key of the school's own surveys (a role without
# those sees neither). Applied through ``Gate.visible_ids`` wherever pupils are shown.
ID_LABELS = {"address_code": "宛名番号", "pref_id": "県学調番号",
             "google_account": "Googleアカウント"}
ID_VISIBILITY = {"address_code": "students", "pref_id": "academic_results",
                 "google_account": "survey_responses"}


def visible_ids(role: Role, registry: Registry) -> tuple[str, ...]:
    """The ID columns (keys of ``ID_LABELS``) this role may see and search by."""
    return tuple(key for key, kind_name in ID_VISIBILITY.items()
                 if kind_name in registry.names and role.sees(registry.kind(kind_name)))


class PolicyError(ValueError):
    """A policy that parses but names things that do not exist (Japanese message)."""

    def __init__(self, message_ja: str) -> None:
        self.message_ja = message_ja
        super().__init__(message_ja)


DOMAINS = frozenset(
    {"*", "basic", "school", "attendance", "health", "academic", "survey", "truancy",
     "bullying", "consultation", "other_department"}
)


def parse_policy(data: dict[str, object], *, inherit: bool = True) -> Policy:
    """``inherit``: a map without any former_pupils line takes the bundled map's (below)."""
    roles_raw = data["roles"]
    assert isinstance(roles_raw, dict)
    roles = []
    # A map saved before the setting existed names it for no role: its roles keep the bundled
    # map's setting (same role key), so the lead does not lose former pupils on the upgrade.
    legacy = inherit and not any("former_pupils" in raw for raw in roles_raw.values())
    inherited = {r.key: r.former_pupils for r in default_policy().roles} if legacy else {}
    for key, raw in roles_raw.items():
        functions = frozenset(raw.get("functions", ()))
        unknown = functions - FUNCTIONS
        if unknown:
            raise PolicyError(
                f"役割「{key}」に存在しない機能名があります: {'、'.join(sorted(unknown))}"
                f"（使える名前: {'、'.join(sorted(FUNCTIONS))}）"
            )
        bad_domains = frozenset(raw.get("domains", ())) - DOMAINS
        if bad_domains:
            raise PolicyError(
                f"役割「{key}」に存在しないデータ領域名があります: {'、'.join(sorted(bad_domains))}"
            )
        former = raw.get("former_pupils", inherited.get(key, False))
        if not isinstance(former, bool):
            raise PolicyError(
                f"役割「{key}」の former_pupils（{FORMER_PUPILS_LABEL}）には true か false を"
                "書いてください。"
            )
        roles.append(
            Role(
                key=key,
                label=str(raw["label"]),
                functions=functions,
                domains=frozenset(raw.get("domains", ())),
                topics=frozenset(raw.get("topics", ())),
                former_pupils=former,
            )
        )
    version = data.get("policy_version", 1)
    assert isinstance(version, int)
    return Policy(version=version, roles=tuple(roles))


def parse_policy_text(text: str) -> Policy:
    """Parse an edited policy; a Japanese UserFacingError says what is wrong."""
    from toda_desktop.errors import UserFacingError

    try:
        policy = parse_policy(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        place = f"（{where[1]}行目・{where[2]}文字目付近）" if where else ""
        raise UserFacingError(
            f"権限設定の書き方に誤りがあります{place}。括弧や引用符の閉じ忘れがないか確認してください。"
        ) from None
    except PolicyError as exc:
        raise UserFacingError(exc.message_ja) from None
    except (KeyError, ValueError, AssertionError, AttributeError, TypeError):
        raise UserFacingError(
            "権限設定の内容に誤りがあります。各役割に label・functions・domains があるか"
            "確認してください。"
        ) from None
    if not any(r.may("admin") for r in policy.roles):
        raise UserFacingError("管理機能を持つ役割が一つもなくなるため、この設定は保存できません。")
    if not any(r.may("policy_edit") for r in policy.roles):
        raise UserFacingError("権限設定を変更できる役割がなくなるため、この設定は保存できません。")
    return policy


@cache
def default_policy() -> Policy:
    with resource_path("policy.toml").open("rb") as fh:
        return parse_policy(tomllib.load(fh), inherit=False)


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
DOMAIN_ORDER = ("basic", "school", "attendance", "health", "academic", "survey", "truancy",
                "bullying", "consultation", "other_department")


def _toml_string(text: str) -> str:
    # JSON's escapes are TOML's (\" \\ \n \uXXXX); non-ASCII stays readable.
    return json.dumps(text, ensure_ascii=False)


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_string(i) for i in items) + "]"


def _ordered(values: frozenset[str], order: Sequence[str]) -> list[str]:
    return sorted(values, key=lambda v: (order.index(v) if v in order else len(order), v))


def policy_header() -> str:
    """The explanation at the top of the bundled policy file (its leading comment lines)."""
    lines = resource_path("policy.toml").read_text(encoding="utf-8").splitlines()
    head = []
    for line in lines:
        if not line.startswith("#") and line.strip():
            break
        head.append(line)
    return "\n".join(head).rstrip() + "\n"


def policy_to_toml(policy: Policy) -> str:
    """The map as its file writes it: for edits made in the 権限設定 table. Parsing the text
    gives the same policy back (tested)."""
    out = [policy_header(), f"policy_version = {policy.version}", ""]
    for role in policy.roles:
        key = role.key if _BARE_KEY.match(role.key) else _toml_string(role.key)
        out.append(f"[roles.{key}]")
        out.append(f"label = {_toml_string(role.label)}")
        out.append(f"functions = {_toml_list(_ordered(role.functions, tuple(FUNCTION_LABELS)))}")
        out.append(f"domains = {_toml_list(_ordered(role.domains, ('*', *DOMAIN_ORDER)))}")
        if role.topics:
            out.append(f"topics = {_toml_list(_ordered(role.topics, DOMAIN_ORDER))}")
        out.append(f"former_pupils = {'true' if role.former_pupils else 'false'}")
        out.append("")
    return "\n".join(out)


def policy_changes(old: Policy, new: Policy) -> dict[str, object]:
    """Per role: added, removed, or the functions and data areas added and removed (what the
    audit log records for a 権限設定 change, and what the confirmation says)."""
    changes: dict[str, object] = {}
    old_roles = {r.key: r for r in old.roles}
    for role in new.roles:
        before = old_roles.get(role.key)
        if before is None:
            changes[role.key] = "added"
        elif before != role:
            change: dict[str, object] = {
                "functions_added": sorted(role.functions - before.functions),
                "functions_removed": sorted(before.functions - role.functions),
                "domains_added": sorted(role.domains - before.domains),
                "domains_removed": sorted(before.domains - role.domains),
            }
            if before.former_pupils != role.former_pupils:
                change["former_pupils"] = role.former_pupils
            changes[role.key] = change
    for key in old_roles.keys() - {r.key for r in new.roles}:
        changes[key] = "removed"
    return changes


def describe_policy_changes(changes: Mapping[str, object], role_labels: Mapping[str, str]
                            ) -> list[str]:
    """Each role's change in words: 「庁内他部局調整職員: 出力を追加・保健を追加」."""
    from toda_desktop.data_dictionary import DOMAIN_LABELS

    words = {**FUNCTION_LABELS, **DOMAIN_LABELS, "*": "すべてのデータ"}
    out = []
    for role, change in changes.items():
        name = role_labels.get(role, role)
        if change == "added":
            out.append(f"{name}: 役割を追加")
        elif change == "removed":
            out.append(f"{name}: 役割を削除")
        elif isinstance(change, Mapping):
            steps = [f"{words.get(item, item)}を{verb}"
                     for field, verb in (("functions_added", "追加"), ("functions_removed", "削除"),
                                         ("domains_added", "追加"), ("domains_removed", "削除"))
                     for item in change.get(field, [])]
            if "former_pupils" in change:
                steps.append(f"{FORMER_PUPILS_LABEL}の検索・閲覧を"
                             + ("許可" if change["former_pupils"] else "不可に"))
            out.append(f"{name}: {'・'.join(steps) or '変更'}")
    return out
