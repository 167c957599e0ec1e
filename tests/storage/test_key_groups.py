"""Key groups follow the permission map: kinds seen together share a key."""

from storage.key_groups import SYSTEM_GROUP, group_of, key_groups
from storage.registry import default_registry


def test_every_kind_is_in_exactly_one_group() -> None:
    registry = default_registry()
    listed = [k for g in key_groups(registry) for k in g.kinds]
    assert sorted(listed) == sorted(registry.names)


def test_a_topic_beyond_the_domain_makes_its_own_group() -> None:
    registry = default_registry()
    assert group_of(registry, "health_room_visits").name == "health-truancy"
    assert group_of(registry, "health_checkups").name == "health"
    assert group_of(registry, "long_absence").name == "truancy"


def test_no_group_is_called_system() -> None:
    assert SYSTEM_GROUP not in {g.name for g in key_groups(default_registry())}
