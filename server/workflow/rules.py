"""Who may do what: a domain's states, actions and rules in one table.

A domain (wishes today; cases and visits next) declares a :class:`Workflow`:

- its transitions, ``(state, action) -> state``;
- for every action, a :class:`Rule`: *who* may take it (role groups in scope and
  relations such as "the beneficiary" or "the claimer", combined with ``|``, ``&``
  and ``~``) and, for actions that change no state, in which states it applies;
- who may see an object at all, and which objects an action may name although the
  caller cannot see them (a wish on the public board may be claimed by anyone
  eligible).

Enforcement (:meth:`Workflow.check`), the ``allowed_actions`` of every object the
API returns (:meth:`Workflow.allowed`) and the PWA's buttons (it reads
``allowed_actions``, and the transition table from ``/api/v1/config``) all come
from that table; nothing restates it.

Rules are plain functions of an :class:`Actor` and an object, with no I/O: what
they need beyond the signed-in person (their resident record, where they may
claim) is loaded once per request into :attr:`Actor.facts` by the domain, for a
whole list at a time, so a list of 200 objects costs no more queries than one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.accounts.models import Role
from server.accounts.scope import Scope
from server.lib.errors import Conflict, Forbidden, NotFound
from server.lib.i18n import N_

__all__ = [
    "WORKFLOWS",
    "Actor",
    "Rule",
    "Who",
    "Workflow",
    "nobody",
    "register",
    "relation",
    "staff_in_scope",
]


@dataclass(slots=True)
class Actor:
    """The signed-in person as the rules see them, with facts loaded by the domain."""

    user: Any  # server.accounts.services.CurrentUser (not imported: it imports this package)
    facts: dict[str, Any] = field(default_factory=dict)
    _scopes: dict[frozenset[Role], Scope] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return int(self.user.id)

    def scope(self, roles: Iterable[Role]) -> Scope:
        """The scope given by only these roles (computed once per role group)."""
        key = frozenset(roles)
        found = self._scopes.get(key)
        if found is None:
            found = self._scopes[key] = self.user.scope_of(key)
        return found


class Who:
    """A condition on (actor, object), with a name for the rule table's documentation
    and, optionally, the reason given when it does not hold."""

    __slots__ = ("_explain", "name", "refusal")

    def __init__(
        self,
        name: str,
        test: Callable[[Actor, Any], bool] | None = None,
        *,
        refusal: str | None = None,
        explain: Callable[[Actor, Any], str | None] | None = None,
    ) -> None:
        self.name = name
        self.refusal = refusal
        if explain is None:
            assert test is not None
            fallback = refusal or N_("Your role does not allow this")
            explain = lambda actor, obj: None if test(actor, obj) else fallback  # noqa: E731
        self._explain = explain

    def __call__(self, actor: Actor, obj: Any) -> bool:
        return self._explain(actor, obj) is None

    def why_not(self, actor: Actor, obj: Any) -> str | None:
        """None when the condition holds, else the reason (an untranslated message)."""
        return self._explain(actor, obj)

    def refusing(self, refusal: str) -> Who:
        """The same condition with its own reason for a refusal."""
        return Who(self.name, lambda a, o: self(a, o), refusal=refusal)

    def __or__(self, other: Who) -> Who:
        def explain(actor: Actor, obj: Any) -> str | None:
            first = self.why_not(actor, obj)
            if first is None or other(actor, obj):
                return None
            return first

        return Who(f"{self.name} | {other.name}", explain=explain)

    def __and__(self, other: Who) -> Who:
        def explain(actor: Actor, obj: Any) -> str | None:
            return self.why_not(actor, obj) or other.why_not(actor, obj)

        return Who(f"{self.name} & {other.name}", explain=explain)

    def __invert__(self) -> Who:
        return Who(f"not {self.name}", lambda a, o: not self(a, o))

    def __repr__(self) -> str:
        return f"Who({self.name})"


def staff_in_scope(name: str, roles: Collection[Role]) -> Who:
    """Holders of these roles whose scope covers the object (its three grid columns)."""
    group = frozenset(roles)
    return Who(name, lambda actor, obj: actor.scope(group).covers(obj))


def relation(name: str, test: Callable[[Actor, Any], bool]) -> Who:
    """A relation between the person and the object ("the claimer", "the beneficiary")."""
    return Who(name, test)


nobody = Who("nobody", lambda actor, obj: False)


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may take one action, and (for actions that change no state) when."""

    who: Who
    refusal: str = N_("Your role does not allow this")
    # Actions that are not transitions: the states (or a test of the object) they apply in.
    when: Callable[[Any], bool] | None = None
    # Objects this action may name although the caller cannot see them: a wish that was
    # on the public board is known to everyone, so claiming one taken meanwhile is a 409.
    known: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Workflow:
    """One domain's states, actions and rules (see the module's documentation)."""

    name: str
    transitions: Mapping[tuple[Any, Any], Any]
    rules: Mapping[str, Rule]
    visible: Who
    not_found: str
    bad_state: str = N_("This is {state} and cannot be changed that way")
    state_name: Callable[[Any], Any] = str
    state_attr: str = "state"
    _sources: dict[str, tuple[Any, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _candidates: dict[Any, tuple[tuple[str, Rule], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _stateless: tuple[tuple[str, Rule], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        actions = {str(action) for (_, action) in self.transitions}
        missing = actions - set(self.rules)
        assert not missing, f"{self.name}: no rule for {sorted(missing)}"
        # The states each transition leaves from, by action: a list's every row asks of
        # every action whether it applies, so this is read thousands of times a page.
        sources: dict[str, list[Any]] = {}
        for state, action in self.transitions:
            sources.setdefault(str(action), []).append(state)
        object.__setattr__(self, "_sources", {a: tuple(s) for a, s in sources.items()})
        # By state, the actions that may apply in it, in the table's order: the transitions
        # leaving it and every action that is not a transition (its ``when`` decides). A
        # page's every row asks which actions its reader may take (``allowed``).
        stateless = tuple((a, r) for a, r in self.rules.items() if a not in sources)
        states = {state for state, _ in self.transitions}
        candidates = {
            state: tuple(
                (a, r) for a, r in self.rules.items() if a not in sources or state in sources[a]
            )
            for state in states
        }
        object.__setattr__(self, "_candidates", candidates)
        object.__setattr__(self, "_stateless", stateless)

    # --- the table ----------------------------------------------------------------------

    def target(self, state: Any, action: Any) -> Any | None:
        return self.transitions.get((state, action))

    def is_transition(self, action: str) -> bool:
        return str(action) in self._sources

    def applies(self, obj: Any, action: str) -> bool:
        """Could anyone take this action on this object in its state now?"""
        return self._applies(obj, action)

    def _applies(self, obj: Any, action: str) -> bool:
        rule = self.rules[action]
        sources = self._sources.get(str(action))
        if sources is not None:
            state = getattr(obj, self.state_attr)
            return any(s == state for s in sources) and (rule.when is None or rule.when(obj))
        return rule.when is None or rule.when(obj)

    def may(self, actor: Actor, obj: Any, action: str) -> bool:
        """May this person take this action on this object now?"""
        return self._applies(obj, action) and self.rules[action].who(actor, obj)

    def allowed(self, actor: Actor, obj: Any) -> list[str]:
        """Every action this person may take now, in the table's order (what ``may``
        answers for each, asking only of the actions that may apply in its state)."""
        state = getattr(obj, self.state_attr)
        return [
            action
            for action, rule in self._candidates.get(state, self._stateless)
            if (rule.when is None or rule.when(obj)) and rule.who(actor, obj)
        ]

    def sees(self, actor: Actor, obj: Any) -> bool:
        return self.visible(actor, obj)

    def check(self, actor: Actor, obj: Any, action: str) -> Any | None:
        """Refuse unless the action may be taken: 404 when the object is out of the
        person's sight (they learn nothing), 403 when their role or relation does not
        allow it (with the rule's reason), 409 when the object's state does not.
        Returns the target state of a transition (None for other actions)."""
        rule = self.rules[action]
        if not (self.visible(actor, obj) or (rule.known is not None and rule.known(obj))):
            raise NotFound(self.not_found)
        why = rule.who.why_not(actor, obj)
        if why is not None:
            default = N_("Your role does not allow this")
            raise Forbidden(rule.refusal if why == default else why)
        state = getattr(obj, self.state_attr)
        if not self._applies(obj, action):
            raise Conflict(
                self.bad_state, error_code="bad_transition", state=self.state_name(state)
            )
        return self.target(state, action) if self.is_transition(action) else None

    def describe(self) -> dict[str, Any]:
        """The table as data, for ``/api/v1/config`` (the PWA) and the docs:
        ``transitions`` as ``{action: {from state: to state}}``, ``actions`` as
        ``{action: who may take it}``."""
        transitions: dict[str, dict[str, str]] = {}
        for (state, action), target in self.transitions.items():
            transitions.setdefault(str(action), {})[str(state)] = str(target)
        return {
            "transitions": transitions,
            "actions": {action: rule.who.name for action, rule in self.rules.items()},
        }


# Every domain's table, by name (a domain registers its own when it is imported).
WORKFLOWS: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    assert workflow.name not in WORKFLOWS, f"two workflows named {workflow.name}"
    WORKFLOWS[workflow.name] = workflow
    return workflow
