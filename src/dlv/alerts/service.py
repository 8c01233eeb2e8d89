"""Alert channels and rules: create, change, read, test. No commits, no HTTP.

The alert engine (status changes -> incidents -> queued deliveries) is ``incidents``; its
entry point is re-exported here as ``on_status_changes``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import SecretStr, ValidationError
from sqlalchemy.orm import Session

from dlv.alerts import repository
from dlv.alerts.channels import Send
from dlv.alerts.incidents import StatusChange, on_status_changes, sample_payload
from dlv.alerts.models import AlertChannel, AlertRule, Incident
from dlv.alerts.schemas import (
    SECRET_FIELDS,
    AlertChannelCreate,
    AlertChannelRead,
    AlertChannelUpdate,
    AlertRuleCreate,
    AlertRuleRead,
    AlertRuleUpdate,
    EmailConfig,
    SlackConfig,
    WebhookConfig,
    channel_config,
)
from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.crypto import SecretBox, SecretsUnreadable
from dlv.dashboards import repository as dashboards_repository
from dlv.errors import Conflict, FieldError, InvalidInput, NotFound
from dlv.health.network import NetworkPolicy

__all__ = ["StatusChange", "on_status_changes"]

AnyConfig = WebhookConfig | SlackConfig | EmailConfig


class ChannelNotFound(NotFound):
    pass


class RuleNotFound(NotFound):
    pass


class IncidentNotFound(NotFound):
    pass


class ChannelUnreadable(Conflict):
    pass


def _split(config: AnyConfig) -> tuple[dict[str, Any], dict[str, str]]:
    secret_names = SECRET_FIELDS[config.kind]
    public = config.model_dump(mode="json", exclude=set(secret_names))
    secrets: dict[str, str] = {}
    for name in secret_names:
        value = getattr(config, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            secrets[name] = value.get_secret_value()
    return public, secrets


def _require_secret(config: AnyConfig, secrets: dict[str, str]) -> None:
    if isinstance(config, SlackConfig) and "url" not in secrets:
        raise InvalidInput(
            "A Slack channel needs its incoming webhook URL",
            errors=[FieldError("body.config.url", "required for a Slack channel")],
        )


def _store_config(
    box: SecretBox, channel: AlertChannel, config: AnyConfig, old: dict[str, str]
) -> None:
    public, secrets = _split(config)
    # Same kind: a secret not sent (or null) keeps its stored value; one sent empty is
    # cleared. ``old`` is empty when the kind changes.
    for name in SECRET_FIELDS[config.kind]:
        if name not in secrets and getattr(config, name) is None and name in old:
            secrets[name] = old[name]
    _require_secret(config, secrets)
    channel.kind = config.kind
    channel.config = public
    channel.secrets = box.seal(secrets)
    channel.secret_fields = sorted(secrets)


def _audit_view(channel: AlertChannel) -> dict[str, Any]:
    # What the audit trail keeps of a channel: the public config and which secrets are set.
    return {
        "name": channel.name,
        "kind": channel.kind,
        "enabled": channel.enabled,
        "config": channel.config,
        "secrets_set": list(channel.secret_fields),
    }


def channel_read(channel: AlertChannel) -> AlertChannelRead:
    """The response form: public fields plus a ``*_set`` flag per secret field."""
    config: dict[str, Any] = dict(channel.config)
    for name in SECRET_FIELDS.get(channel.kind, ()):
        config[f"{name}_set"] = name in channel.secret_fields
    return AlertChannelRead.model_validate(
        {
            "id": channel.id,
            "name": channel.name,
            "kind": channel.kind,
            "enabled": channel.enabled,
            "config": config,
            "created_at": channel.created_at,
            "updated_at": channel.updated_at,
        }
    )


def list_channels(session: Session) -> Sequence[AlertChannel]:
    """Every channel, by name."""
    return repository.channels(session)


def get_channel(session: Session, channel_id: uuid.UUID) -> AlertChannel:
    """One channel; 404 when there is none."""
    channel = repository.channel(session, channel_id)
    if channel is None:
        raise ChannelNotFound(f"No alert channel with id {channel_id}")
    return channel


def _name_free(session: Session, name: str, other_than: uuid.UUID | None) -> None:
    if repository.channel_name_taken(session, name, other_than):
        raise Conflict(f"An alert channel named {name!r} already exists")


def create_channel(
    session: Session, actor: Principal, box: SecretBox, body: AlertChannelCreate
) -> AlertChannel:
    """A new channel, its secrets sealed."""
    _name_free(session, body.name, None)
    channel = AlertChannel(name=body.name, kind=body.config.kind, enabled=body.enabled)
    _store_config(box, channel, body.config, {})
    repository.add(session, channel)
    audit.record(
        session, actor, "alert_channel.create", "alert_channel", channel.id, _audit_view(channel)
    )
    return channel


def update_channel(
    session: Session,
    actor: Principal,
    box: SecretBox,
    channel_id: uuid.UUID,
    body: AlertChannelUpdate,
) -> AlertChannel:
    """Change a channel; secrets not sent are kept."""
    channel = get_channel(session, channel_id)
    before = _audit_view(channel)
    if body.name is not None and body.name != channel.name:
        _name_free(session, body.name, channel.id)
        channel.name = body.name
    if body.enabled is not None:
        channel.enabled = body.enabled
    if body.config is not None:
        try:
            old = box.open(channel.secrets) if body.config.kind == channel.kind else {}
        except SecretsUnreadable:
            old = {}  # unreadable with this key: only what is sent now is stored
        _store_config(box, channel, body.config, old)
    session.flush()
    audit.record(
        session,
        actor,
        "alert_channel.update",
        "alert_channel",
        channel.id,
        audit.diff(before, _audit_view(channel)),
    )
    return channel


def delete_channel(session: Session, actor: Principal, channel_id: uuid.UUID) -> None:
    """Delete a channel, its deliveries, and its place in every rule."""
    channel = get_channel(session, channel_id)
    for rule in repository.rules_using_channel(session, channel.id):
        rule.channel_ids = [c for c in rule.channel_ids if c != str(channel.id)]
    audit.record(
        session, actor, "alert_channel.delete", "alert_channel", channel.id, {"name": channel.name}
    )
    session.delete(channel)
    session.flush()


def full_config(box: SecretBox, channel: AlertChannel) -> dict[str, Any]:
    """The channel's config with its secrets, for a sender; 409 when they cannot be read."""
    try:
        secrets = box.open(channel.secrets)
        data = {**channel.config, **secrets}
        channel_config.validate_python(data)
    except SecretsUnreadable:
        raise ChannelUnreadable(
            "The channel's stored secrets cannot be decrypted with this server's "
            "DLV_SECRET_KEY; enter them again"
        ) from None
    except ValidationError:
        # The error would quote the values, secrets included.
        raise ChannelUnreadable(
            "The channel's stored config is no longer valid; save it again"
        ) from None
    return data


def test_send(
    session: Session,
    box: SecretBox,
    policy: NetworkPolicy,
    channel_id: uuid.UUID,
    *,
    public_url: str | None,
    timeout: float,
) -> Send:
    """What ``POST .../test`` sends: a sample alert, marked as a test."""
    channel = get_channel(session, channel_id)
    return Send(
        kind=channel.kind,
        config=full_config(box, channel),
        payload=sample_payload(public_url),
        delivery_id=f"test-{uuid.uuid4()}",
        timeout=timeout,
        policy=policy,
    )


# Rules


def rule_read(rule: AlertRule) -> AlertRuleRead:
    return AlertRuleRead.model_validate(rule, from_attributes=True)


def list_rules(session: Session) -> Sequence[AlertRule]:
    """Every rule, by name."""
    return repository.rules(session)


def get_rule(session: Session, rule_id: uuid.UUID) -> AlertRule:
    """One rule; 404 when there is none."""
    rule = repository.rule(session, rule_id)
    if rule is None:
        raise RuleNotFound(f"No alert rule with id {rule_id}")
    return rule


def _check_references(session: Session, rule: AlertRule) -> None:
    errors: list[FieldError] = []
    ids = [uuid.UUID(c) for c in rule.channel_ids]
    missing = set(ids) - set(repository.channels_by_id(session, ids))
    if missing:
        errors.append(
            FieldError(
                "body.channel_ids", f"no alert channel with id {sorted(map(str, missing))[0]}"
            )
        )
    if rule.dashboard_id and dashboards_repository.get(session, rule.dashboard_id) is None:
        errors.append(FieldError("body.dashboard_id", f"no dashboard with id {rule.dashboard_id}"))
    if rule.downstream_of and not repository.node_exists(session, rule.downstream_of):
        errors.append(FieldError("body.downstream_of", f"no node with id {rule.downstream_of}"))
    if errors:
        raise InvalidInput("The rule refers to something that does not exist", errors=errors)


def _rule_view(rule: AlertRule) -> dict[str, Any]:
    return dict(rule_read(rule).model_dump(mode="json", exclude={"created_at", "updated_at", "id"}))


def create_rule(session: Session, actor: Principal, body: AlertRuleCreate) -> AlertRule:
    """A new rule; its channels, dashboard and node must exist."""
    if repository.rule_name_taken(session, body.name, None):
        raise Conflict(f"An alert rule named {body.name!r} already exists")
    data = body.model_dump(mode="json")
    rule = AlertRule(
        **{**data, "dashboard_id": body.dashboard_id, "downstream_of": body.downstream_of}
    )
    rule.channel_ids = list(dict.fromkeys(rule.channel_ids))
    rule.events = list(dict.fromkeys(rule.events))
    _check_references(session, rule)
    repository.add(session, rule)
    audit.record(session, actor, "alert_rule.create", "alert_rule", rule.id, _rule_view(rule))
    return rule


def update_rule(
    session: Session, actor: Principal, rule_id: uuid.UUID, body: AlertRuleUpdate
) -> AlertRule:
    """Change the fields sent; a selector field sent as null is cleared."""
    rule = get_rule(session, rule_id)
    before = _rule_view(rule)
    sent = body.model_fields_set
    if "name" in sent and body.name is not None and body.name != rule.name:
        if repository.rule_name_taken(session, body.name, rule.id):
            raise Conflict(f"An alert rule named {body.name!r} already exists")
        rule.name = body.name
    if "enabled" in sent and body.enabled is not None:
        rule.enabled = body.enabled
    if "events" in sent and body.events is not None:
        rule.events = list(dict.fromkeys(e.value for e in body.events))
    if "channel_ids" in sent and body.channel_ids is not None:
        rule.channel_ids = list(dict.fromkeys(str(c) for c in body.channel_ids))
    for field in ("tag", "owner", "namespace", "dashboard_id", "downstream_of"):
        if field in sent:
            setattr(rule, field, getattr(body, field))
    _check_references(session, rule)
    session.flush()
    audit.record(
        session,
        actor,
        "alert_rule.update",
        "alert_rule",
        rule.id,
        audit.diff(before, _rule_view(rule)),
    )
    return rule


def delete_rule(session: Session, actor: Principal, rule_id: uuid.UUID) -> None:
    """Delete a rule (incidents and deliveries it caused stay)."""
    rule = get_rule(session, rule_id)
    audit.record(session, actor, "alert_rule.delete", "alert_rule", rule.id, {"name": rule.name})
    session.delete(rule)
    session.flush()


def get_incident(session: Session, incident_id: uuid.UUID) -> Incident:
    """One incident; 404 when there is none."""
    incident = repository.incident(session, incident_id)
    if incident is None:
        raise IncidentNotFound(f"No incident with id {incident_id}")
    return incident


def reseal_secrets(session: Session, old: SecretBox, new: SecretBox) -> int:
    """Re-encrypt every channel's secrets under a new key (``dlv secret-key rotate``);
    how many channels changed."""
    count = 0
    for channel in repository.channels(session):
        if channel.secrets:
            channel.secrets = new.seal(old.open(channel.secrets))
            count += 1
    session.flush()
    return count
