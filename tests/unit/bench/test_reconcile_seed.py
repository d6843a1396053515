"""The reconcile benchmark's seed generator: both sandboxes accept its seeds, item codes are
numeric, and every sale sells articles the till knows and AFAS has."""

from __future__ import annotations

from bench.reconcile_seed import CATALOGUE, afas_seed, article_code, mplus_empty, mplus_seed
from connectors.afas.sandbox import create_app as afas_app
from connectors.mpluskassa.sandbox import create_app as mplus_app


def test_seeds_are_accepted_by_both_sandboxes() -> None:
    """The sandboxes load the seeds (MplusKASSA refuses sales of unknown articles)."""
    afas_app(seed=afas_seed(50), token="t")
    mplus_app(seed=mplus_empty(), ident="i", secret="s")
    mplus_app(seed=mplus_seed(20, 5, 50), ident="i", secret="s")


def test_sales_sell_known_articles_of_their_customers() -> None:
    """Sales cycle through the customers and sell only catalogue articles that AFAS has and the
    till knows; codes are numeric and distinct."""
    afas = afas_seed(2 * CATALOGUE)
    till = mplus_seed(30, 7, 2 * CATALOGUE)
    codes = {a["ItCd"] for a in afas["articles"]}
    assert len(codes) == 2 * CATALOGUE
    assert all(code.isdigit() for code in codes)
    known = {a["articleNumber"] for p in till["products"] for a in p["articleList"]["article"]}
    assert len(known) == CATALOGUE
    sold = {line["articleNumber"] for o in till["orders"] for line in o["lineList"]["line"]}
    assert sold <= known
    assert {str(n) for n in sold} <= codes
    assert {o["relationNumber"] for o in till["orders"]} == set(range(1, 8))
    assert len({r["email"] for r in till["relations"]}) == 7
    assert article_code(0) == "100000"


def test_seeds_are_deterministic() -> None:
    assert mplus_seed(10, 3, 40) == mplus_seed(10, 3, 40)
    assert afas_seed(10) == afas_seed(10)
