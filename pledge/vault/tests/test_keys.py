"""The key ring: authenticated encryption bound to its column, and readable errors (C1)."""

import pytest

from pledge.vault.keys import (
    DecryptionError,
    KeyRing,
    KeyRingError,
    name_tokens,
    new_entry,
    normalise_email,
    normalise_phone,
)


@pytest.fixture
def ring():
    return KeyRing(new_entry("k1"))


def test_a_value_round_trips_and_is_not_stored_in_plaintext(ring):
    token = ring.encrypt("王小明 wang@example.cn", context="people.Person.name")
    assert "wang@example.cn" not in token and "王小明" not in token
    assert ring.decrypt(token, context="people.Person.name") == "王小明 wang@example.cn"


def test_one_flipped_byte_fails_decryption_c1(ring):
    token = ring.encrypt("secret", context="people.Person.email")
    prefix, key_id, body = token.split(".", 2)
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    with pytest.raises(DecryptionError):
        ring.decrypt(f"{prefix}.{key_id}.{flipped}", context="people.Person.email")


def test_a_value_moved_to_another_column_does_not_decrypt(ring):
    token = ring.encrypt("secret", context="people.Person.email")
    with pytest.raises(DecryptionError):
        ring.decrypt(token, context="people.Person.phone")


def test_a_value_under_a_removed_key_says_how_to_recover(ring):
    token = ring.encrypt("secret", context="people.Person.email")
    with pytest.raises(DecryptionError, match="put that key back in the ring"):
        KeyRing(new_entry("k2")).decrypt(token, context="people.Person.email")


def test_the_primary_key_encrypts_and_older_keys_still_decrypt():
    old_entry = new_entry("old")
    token = KeyRing(old_entry).encrypt("secret", context="c")
    ring = KeyRing(new_entry("new") + "," + old_entry)
    assert ring.decrypt(token, context="c") == "secret"
    assert ring.encrypt("other", context="c").startswith("pl1.new.")


def test_malformed_ring_names_the_entry_and_the_fix():
    with pytest.raises(KeyRingError, match="entry 2 is not 'id:base64-of-32-bytes'"):
        KeyRing(new_entry("a") + ",b:tooshort")
    with pytest.raises(KeyRingError, match="same key id twice"):
        entry = new_entry("a")
        KeyRing(entry + "," + entry)


def test_blind_index_digests_match_under_every_key():
    first, second = new_entry("a"), new_entry("b")
    ring = KeyRing(f"{second},{first}")
    older = KeyRing(first)
    digest_under_old = older.digest("x@y.cn", context="c")
    assert digest_under_old in ring.digests("x@y.cn", context="c")
    assert ring.digest("x@y.cn", context="c") != digest_under_old


def test_normalisation_makes_case_and_spacing_irrelevant():
    assert normalise_email("  Wang.Xiao@Example.CN ") == "wang.xiao@example.cn"
    assert normalise_phone("+86 138-0013-8000") == normalise_phone("+8613800138000")
    assert name_tokens("王小明") == ["小", "明", "王"]
    assert name_tokens("  Ada   LOVELACE ") == ["ada", "lovelace"]
