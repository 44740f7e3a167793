"""The advertiser's terms editor: versions with their states, validate (problems with their JSON pointers
next to the rule), dry-run with the trace, backtest on samples, publish now or from a date, and the diff."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from admin_ui.pages.advertiser_terms import pretty
from network.terms import service as terms
from network.terms.tables import TermsVersion
from rules import canonical_json, parse_rule
from tests.support.client import Client
from tests.support.world import World
from tests.ui.support import browser, field_error, page_text
from tests.ui.test_i18n import RU, _assert_russian

pytestmark = pytest.mark.sqlite_only

TIERED = {"if": [{">=": [{"var": "conversion.sale_amount"}, 100]}, 20, 5]}


def _path(world: World) -> str:
    return f"/ui/adv/offers/{world.offers['public']}/terms"


def _form(**overrides: str) -> dict[str, str]:
    form = {"payout": json.dumps(TIERED), "revenue": "25", "hold_days": "3", "status": "", "note": ""}
    form.update(overrides)
    return form


async def _versions(world: World) -> int:
    return int(await TermsVersion.count().where(TermsVersion.offer == world.offers["public"]))


async def test_the_editor_lists_versions_and_is_prefilled_from_the_version_in_force(
    client: Client, world: World
) -> None:
    adv = await browser(client, world, "advertiser")
    page = await adv.get(_path(world))
    assert page.status_code == 200
    assert re.search(r'id="version-1" data-state="in_force"', page.text)
    assert re.search(r'id="version-2" data-state="upcoming"', page.text)
    text = page_text(page.text)
    assert "In force" in text and "Upcoming" in text
    # The textareas hold the rules of version 1 (payout 10, revenue 15).
    assert re.search(r'<textarea id="payout" name="payout"[^>]*>10</textarea>', page.text)
    assert re.search(r'<textarea id="revenue" name="revenue"[^>]*>15</textarea>', page.text)
    for action in ("validate", "dry_run", "backtest", "publish"):
        assert f'name="action" value="{action}"' in page.text
    assert 'type="datetime-local"' in page.text and 'name="effective_from"' in page.text
    assert 'name="context"' in page.text and 'name="samples"' in page.text
    diff = f"/ui/adv/offers/{world.offers['public']}/terms/diff?from={world.terms['current']}&amp;to="
    assert diff in page.text


async def test_other_roles_get_403_and_forms_need_the_csrf_token(client: Client, world: World) -> None:
    for role in ("webmaster", "staff"):
        session = await browser(client, world, role)
        assert (await session.get(_path(world))).status_code == 403
        assert (await session.post(_path(world), _form(action="publish"))).status_code == 403
    adv = await browser(client, world, "advertiser")
    for token in (None, "wrong"):
        assert (await adv.post(_path(world), _form(action="publish"), csrf=token)).status_code == 403
    assert await _versions(world) == 2


async def test_validate_shows_each_problem_with_its_pointer_next_to_the_rule(
    client: Client, world: World
) -> None:
    adv = await browser(client, world, "advertiser")
    bad = {"if": [{"==": [{"var": "click.nope"}, "x"]}, {"frobnicate": [1]}, 5]}
    answer = await adv.post(_path(world), _form(payout=json.dumps(bad), action="validate"))
    assert answer.status_code == 422
    error = field_error(answer.text, "payout")
    assert error is not None and "/payout/if/0/==/0" in error and "unknown variable" in error
    assert "/payout/if/1" in error and "unknown operator" in error
    assert field_error(answer.text, "revenue") is None
    assert 'id="problems"' in answer.text
    # What was typed is kept.
    assert "frobnicate" in answer.text
    broken = await adv.post(_path(world), _form(revenue="{oops", action="validate"))
    assert field_error(broken.text, "revenue") == "This is not valid JSON."
    ok = await adv.post(_path(world), _form(action="validate"))
    assert ok.status_code == 200 and 'id="validation-result"' in ok.text
    assert await _versions(world) == 2


async def test_dry_run_shows_the_result_and_the_branches_that_fired(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    context = {"goal": "lead", "conversion": {"sale_amount": 150, "currency": "USD"}}
    answer = await adv.post(_path(world), _form(action="dry_run", context=json.dumps(context)))
    assert answer.status_code == 200, page_text(answer.text)
    section = answer.text.split('id="dry-run-result"', 1)[1]
    assert 'id="dry-run-payout">$20.00<' in section and 'id="dry-run-revenue">$25.00<' in section
    assert 'id="dry-run-hold">3 days<' in section
    trace = section.split('<ol id="trace"', 1)[1].split("</ol>", 1)[0]
    assert "<code>/payout</code> <code>if</code> branch 1" in trace
    cheap = {"goal": "lead", "conversion": {"sale_amount": 10, "currency": "USD"}}
    answer = await adv.post(_path(world), _form(action="dry_run", context=json.dumps(cheap)))
    assert 'id="dry-run-payout">$5.00<' in answer.text and "branch 2" in answer.text
    missing = await adv.post(_path(world), _form(action="dry_run", context=""))
    assert missing.status_code == 422 and field_error(missing.text, "context") == "This field is required."


async def test_backtest_on_samples_compares_with_the_terms_in_force(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    samples = [
        {"goal": "lead", "webmaster": {"id": 1}, "conversion": {"sale_amount": 150, "currency": "USD"}},
        {"goal": "lead", "webmaster": {"id": 2}, "conversion": {"sale_amount": 10, "currency": "USD"}},
    ]
    answer = await adv.post(_path(world), _form(action="backtest", samples=json.dumps(samples)))
    assert answer.status_code == 200, page_text(answer.text)
    totals = answer.text.split('id="backtest-totals"', 1)[1].split("</tr>", 1)[0]
    # In force: 10 each (20 in all); the draft: 20 + 5 = 25; revenue 15 -> 25 each.
    assert "$20.00" in totals and "$25.00" in totals and "$5.00" in totals and "$50.00" in totals
    assert await _versions(world) == 2


async def test_publish_now_and_from_a_future_date(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    done = await adv.post(_path(world), _form(action="publish", note="Tiered payout"))
    assert done.status_code == 303
    assert done.headers["location"] == f"{_path(world)}?done=adv_terms_published"
    assert await _versions(world) == 3
    page = await adv.get(done.headers["location"])
    assert re.search(r'id="version-3" data-state="in_force"', page.text)
    assert re.search(r'id="version-1" data-state="superseded"', page.text)
    assert "Tiered payout" in page_text(page.text)
    later = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    done = await adv.post(_path(world), _form(action="publish", effective_from=later))
    assert done.status_code == 303
    page = await adv.get(_path(world))
    assert re.search(r'id="version-4" data-state="upcoming"', page.text)
    past = await adv.post(_path(world), _form(action="publish", effective_from="2020-01-01T10:00"))
    assert past.status_code == 422
    assert field_error(past.text, "effective_from") == (
        "This moment is in the past: terms never change retroactively."
    )
    assert await _versions(world) == 4


async def test_the_diff_of_two_versions(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    path = f"{_path(world)}/diff?from={world.terms['current']}&to={world.terms['upcoming']}"
    page = await adv.get(path)
    assert page.status_code == 200
    section = page.text.split('id="diff"', 1)[1]
    assert "<code>/payout</code>" in section and "<pre>10</pre>" in section and "<pre>12</pre>" in section
    assert "<code>/revenue</code>" in section and "<pre>16</pre>" in section
    assert "From version No. 1 to No. 2" in page_text(page.text)
    webmaster = await browser(client, world, "webmaster")
    assert (await webmaster.get(path)).status_code == 403


async def test_the_editor_in_russian(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    await adv.get("/ui/lang/ru")
    text = _assert_russian((await adv.get(_path(world))).text, "terms")
    assert RU("adv.terms.publish") in text and RU("adv.state.in_force") in text
    context = json.dumps({"goal": "lead", "conversion": {"sale_amount": 150, "currency": "USD"}})
    _assert_russian((await adv.post(_path(world), _form(action="dry_run", context=context))).text, "dry")
    bad = await adv.post(_path(world), _form(payout='{"frobnicate": [1]}', action="validate"))
    _assert_russian(bad.text, "validate")
    assert RU("adv.rule_problem.unknown_operator") in (field_error(bad.text, "payout") or "")
    path = f"{_path(world)}/diff?from={world.terms['current']}&to={world.terms['upcoming']}"
    _assert_russian((await adv.get(path)).text, "diff")


def test_rules_are_shown_readably_and_read_back_exactly() -> None:
    rule = parse_rule(
        '{"if": [{"==": [{"var": "goal"}, "sale"]}, {"*": [{"var": "conversion.sale_amount"}, 0.08]},'
        ' {"in": [{"var": "click.country"}, ["US", "GB"]]}, 16.0, 1.50]}'
    )
    text = pretty(rule)
    assert text.splitlines()[:3] == ["{", '  "if": [', '    {"==": [{"var": "goal"}, "sale"]},']
    assert "1.50" in text and "16.0" in text  # numbers as written, never through a float
    assert canonical_json(parse_rule(text)) == canonical_json(rule)
    assert pretty(parse_rule('{"var": "a, b"}')) == '{"var": "a, b"}'


async def test_a_private_deal_for_one_webmaster_who_joined(client: Client, world: World) -> None:
    adv = await browser(client, world, "advertiser")
    page = await adv.get(_path(world))
    assert f'<option value="{world.webmaster_id}">' in page.text  # joined the public offer
    assert '<option value="" selected>' in page.text  # every webmaster unless chosen
    now = datetime.now(UTC)
    before = await terms.pin(
        tenant_id=world.network_id, offer_id=world.offers["public"], webmaster_id=world.webmaster_id, at=now
    )
    wrong = await adv.post(_path(world), _form(action="publish", webmaster_id="me"))
    assert wrong.status_code == 422 and field_error(wrong.text, "webmaster_id")
    missing = await adv.post(_path(world), _form(action="publish", webmaster_id="999999"))
    assert missing.status_code == 404
    done = await adv.post(
        _path(world), _form(action="publish", note="Deal", webmaster_id=str(world.webmaster_id))
    )
    assert done.status_code == 303
    version = (
        await TermsVersion.select()
        .where(TermsVersion.offer == world.offers["public"])
        .order_by(TermsVersion.number, ascending=False)
        .first()
    )
    assert (
        version is not None and version["scope"] == "webmaster" and version["webmaster"] == world.webmaster_id
    )
    listed = await adv.get(_path(world))
    row = listed.text.split(f'id="version-{version["number"]}"', 1)[1].split("</tr>", 1)[0]
    assert f"#{world.webmaster_id}" in row
    after = datetime.now(UTC) + timedelta(seconds=1)
    pinned = await terms.pin(
        tenant_id=world.network_id, offer_id=world.offers["public"], webmaster_id=world.webmaster_id, at=after
    )
    assert pinned == version["id"] != before
    others = await terms.pin(
        tenant_id=world.network_id,
        offer_id=world.offers["public"],
        webmaster_id=world.other_webmaster_id,
        at=after,
    )
    assert others != version["id"]  # everyone else keeps the offer's terms
