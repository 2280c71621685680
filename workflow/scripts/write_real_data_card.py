import sys; sys.stderr = open(snakemake.log[0], "w")  # noqa: E702
import json

from invrl.demand.real import load_real_demand
from invrl.demand.real.data_card import card, card_markdown
from invrl.demand.real.fetch import report_errors, write_json_atomic
from invrl.io import write_text

with report_errors():
    real = load_real_demand(snakemake.input.data)
summary = card(real, json.loads(open(snakemake.input.provenance).read()), name=snakemake.wildcards.dataset)
write_json_atomic(snakemake.output.json, summary)
write_text(snakemake.output.markdown, card_markdown(summary))
