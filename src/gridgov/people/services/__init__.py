"""Writes to departments, staff, posts, liaisons and role grants (定人、定岗、定责, seed 002), and
the read that assembles a grid's public board (公示牌).

Every write takes the acting user as `by`; `by=None` is the system itself (the demo builder and
data migrations), which is not permission-checked. Visibility is the caller's job (a scoped
lookup, 404 outside the scope); these functions check what the actor may do (403) and what
must hold (DomainError, 400). Import from here: `from gridgov.people.services import grid_board`.
"""

from gridgov.people.services.accounts import (
    LOGIN_ROLES,
    change_password,
    create_login,
    must_change_password,
    reset_password,
)
from gridgov.people.services.boards import (
    BoardGrid,
    BoardLiaison,
    BoardPerson,
    GridBoard,
    grid_board,
    supervision_department,
)
from gridgov.people.services.common import display_phone, normalise_phone
from gridgov.people.services.roles import (
    check_grant,
    create_user,
    grant_role,
    revoke_role,
)
from gridgov.people.services.staffing import (
    PostSpec,
    add_liaison,
    assign_post,
    check_liaison,
    check_post,
    check_post_is_free,
    check_staff_department,
    create_department,
    create_staff,
    deactivate_staff,
    end_liaison,
    end_post,
    move_post,
    update_department,
    update_post,
    update_staff,
)

__all__ = [
    "LOGIN_ROLES",
    "BoardGrid",
    "BoardLiaison",
    "BoardPerson",
    "GridBoard",
    "PostSpec",
    "add_liaison",
    "assign_post",
    "check_grant",
    "check_liaison",
    "check_post",
    "check_post_is_free",
    "change_password",
    "check_staff_department",
    "create_department",
    "create_login",
    "create_staff",
    "create_user",
    "deactivate_staff",
    "display_phone",
    "end_liaison",
    "end_post",
    "grant_role",
    "grid_board",
    "move_post",
    "must_change_password",
    "normalise_phone",
    "reset_password",
    "revoke_role",
    "supervision_department",
    "update_department",
    "update_post",
    "update_staff",
]
