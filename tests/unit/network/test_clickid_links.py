from __future__ import annotations

import random
import time
from urllib.parse import parse_qsl

from network.tracking import clickid
from network.tracking.clickid import ALPHABET, LENGTH, click_id_time, new_click_id
from network.tracking.links import parse, query_params
from network.tracking.useragent import classify


def test_click_ids_are_unique_compact_and_time_sortable() -> None:
    ids = [new_click_id(1_800_000_000.0 + i / 1000) for i in range(5000)]
    assert len(set(ids)) == 5000 and all(len(i) == LENGTH and i.isalnum() for i in ids)
    assert ids == sorted(ids)
    now = time.time()
    assert abs(click_id_time(new_click_id(now)) - now) < 0.002


def _base62_one_digit_at_a_time(value: int) -> str:
    out = []
    for _ in range(LENGTH):
        value, digit = divmod(value, 62)
        out.append(ALPHABET[digit])
    return "".join(reversed(out))


def test_the_pairwise_encoder_writes_the_same_digits_as_plain_base62() -> None:
    rng = random.Random(5)
    edges = [0, 1, 61, 62, 62**9 - 1, 62**9, 62**18 - 1, 62**18, (1 << 112) - 1]
    for value in edges + [rng.getrandbits(112) for _ in range(20_000)]:
        high, low = divmod(value, 62**9)
        top, middle = divmod(high, 62**9)
        encoded = ALPHABET[top] + clickid._nine(middle) + clickid._nine(low)
        assert encoded == _base62_one_digit_at_a_time(value)


def test_query_params_are_read_exactly_as_parse_qsl_reads_them() -> None:
    rng = random.Random(7)
    pieces = ["a", "wm", "sub1", "=", "&", "&&", "+", "%20", "%", "%zz", "%C3%A9", "%ff", "é", "x=y", ";"]
    queries = [b"", b"&", b"=", b"a", b"a=", b"=b", b"a=1&a=2", b"a=b=c", "é=ü&x=%E2%82%AC".encode()]
    queries += ["".join(rng.choices(pieces, k=rng.randrange(12))).encode() for _ in range(5000)]
    queries += [bytes(rng.randrange(256) for _ in range(rng.randrange(30))) for _ in range(2000)]
    for query in queries:
        expected = dict(parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True))
        assert query_params(query) == expected, query


def test_every_dialect_is_read() -> None:
    own = parse("/c/42", b"wm=7&l=3&sub1=a&sub10=z&source=fb&url=https%3A%2F%2Fx.example%2F")
    assert own is not None and (own.dialect, own.target_id, own.webmaster_id, own.landing_id) == (
        "cpanet",
        42,
        7,
        3,
    )
    assert (
        own.subs[0] == "a"
        and own.subs[9] == "z"
        and own.source == "fb"
        and own.deep_link == "https://x.example/"
    )
    tune = parse("/aff_c", b"offer_id=42&aff_id=7&aff_sub=a&aff_sub5=e&source_id=s")
    assert tune is not None and (tune.target_id, tune.webmaster_id, tune.subs[:5], tune.source) == (
        42,
        7,
        ("a", "", "", "", "e"),
        "s",
    )
    affise = parse("/click", b"pid=7&offer_id=42&sub8=h")
    assert affise is not None and affise.subs[7] == "h" and affise.webmaster_id == 7
    cake = parse("/", b"a=7&c=3&s1=x")
    assert cake is not None and (cake.target_id, cake.landing_id, cake.subs[0]) == (None, 3, "x")
    smart = parse("/s/9", b"wm=7")
    assert smart is not None and smart.smartlink and smart.target_id == 9
    assert parse("/", b"") is None and parse("/api/v1/offers", b"") is None
    bad = parse("/aff_c", b"offer_id=abc&aff_id=-1")
    assert bad is not None and bad.target_id is None and bad.webmaster_id is None
    assert len(parse("/c/1", b"wm=1&sub1=" + b"x" * 5000).subs[0]) == 255  # type: ignore[union-attr]


def test_device_and_os() -> None:
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
    assert classify(iphone) == ("mobile", "ios")
    assert classify("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Safari/537.36") == (
        "tablet",
        "android",
    )
    assert classify("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0") == ("desktop", "windows")
