"""Sign-in links, patient challenges and sessions, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from corridor.clock import FixedClock
from corridor.crypto import SigningKeyPair, b64url_encode, did_key_from_public
from corridor.web.errors import ChallengeInvalid, InvalidWebInput, InvitationInvalid
from corridor.web.sessions import (
    challenge_message,
    create_invitation,
    csrf_matches,
    end_session,
    find_session,
    issue_challenge,
    redeem_invitation,
    sign_in_patient,
)

_PORTAL = "http://127.0.0.1:8006"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


def test_a_link_opens_a_session_for_whom_it_names_and_only_as_often_as_allowed(database, clock):
    token = create_invitation(
        database=database, clock=clock, role="desk", subject="Li Wei", created_by="did:key:zOp"
    )
    signed = redeem_invitation(database=database, clock=clock, token=token)
    assert (signed.session.role, signed.session.subject) == ("desk", "Li Wei")
    session = find_session(database=database, clock=clock, token=signed.token)
    assert session is not None
    assert session.csrf == signed.session.csrf
    with pytest.raises(InvitationInvalid):
        redeem_invitation(database=database, clock=clock, token=token)


def test_an_expired_link_opens_nothing(database, clock):
    token = create_invitation(
        database=database,
        clock=clock,
        role="officer",
        subject="Zhang Min",
        created_by="did:key:zOp",
        lifetime=timedelta(minutes=5),
        uses=3,
    )
    clock.advance(timedelta(minutes=6))
    with pytest.raises(InvitationInvalid):
        redeem_invitation(database=database, clock=clock, token=token)


def test_links_need_a_known_role_and_a_name(database, clock):
    with pytest.raises(InvalidWebInput):
        create_invitation(
            database=database,
            clock=clock,
            role="root",
            subject="x",
            created_by="d",  # type: ignore[arg-type]
        )
    with pytest.raises(InvalidWebInput):
        create_invitation(database=database, clock=clock, role="desk", subject="", created_by="d")


def test_a_patient_signs_in_by_signing_the_challenge_once(database, clock):
    key = SigningKeyPair.generate()
    did = did_key_from_public(key.public)
    nonce = issue_challenge(database=database, clock=clock)
    signature = b64url_encode(key.sign(challenge_message(audience=_PORTAL, nonce=nonce)))
    signed = sign_in_patient(
        database=database, clock=clock, audience=_PORTAL, nonce=nonce, did=did, signature=signature
    )
    assert signed.session.is_patient
    assert signed.session.subject == did
    with pytest.raises(ChallengeInvalid):  # a challenge is answered once
        sign_in_patient(
            database=database,
            clock=clock,
            audience=_PORTAL,
            nonce=nonce,
            did=did,
            signature=signature,
        )


def test_a_signature_for_another_origin_or_key_is_refused(database, clock):
    key = SigningKeyPair.generate()
    nonce = issue_challenge(database=database, clock=clock)
    elsewhere = b64url_encode(key.sign(challenge_message(audience="http://evil.test", nonce=nonce)))
    with pytest.raises(ChallengeInvalid):
        sign_in_patient(
            database=database,
            clock=clock,
            audience=_PORTAL,
            nonce=nonce,
            did=did_key_from_public(key.public),
            signature=elsewhere,
        )
    nonce = issue_challenge(database=database, clock=clock)
    right = b64url_encode(key.sign(challenge_message(audience=_PORTAL, nonce=nonce)))
    with pytest.raises(ChallengeInvalid):
        sign_in_patient(
            database=database,
            clock=clock,
            audience=_PORTAL,
            nonce=nonce,
            did=did_key_from_public(SigningKeyPair.generate().public),
            signature=right,
        )


def test_a_stale_challenge_is_refused(database, clock):
    key = SigningKeyPair.generate()
    nonce = issue_challenge(database=database, clock=clock)
    clock.advance(timedelta(minutes=6))
    with pytest.raises(ChallengeInvalid):
        sign_in_patient(
            database=database,
            clock=clock,
            audience=_PORTAL,
            nonce=nonce,
            did=did_key_from_public(key.public),
            signature=b64url_encode(key.sign(challenge_message(audience=_PORTAL, nonce=nonce))),
        )


def test_sessions_expire_and_end_and_check_their_csrf_token(database, clock):
    token = create_invitation(
        database=database, clock=clock, role="clinician", subject="Dr Chan", created_by="d"
    )
    signed = redeem_invitation(database=database, clock=clock, token=token)
    session = find_session(database=database, clock=clock, token=signed.token)
    assert session is not None
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, "forged")
    assert not csrf_matches(session, None)
    end_session(database=database, token=signed.token)
    assert find_session(database=database, clock=clock, token=signed.token) is None
    other = redeem_invitation(
        database=database,
        clock=clock,
        token=create_invitation(
            database=database, clock=clock, role="desk", subject="x", created_by="d"
        ),
    )
    clock.advance(timedelta(hours=13))
    assert find_session(database=database, clock=clock, token=other.token) is None
    assert find_session(database=database, clock=clock, token="") is None
