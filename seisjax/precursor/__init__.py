"""The precursor study (Ong et al.): a CNN that tells the last 1000 s before
an Mw >= 6 earthquake from background noise, trained as seed ensembles.

task.py is what the engine trains; data.py, windowing.py and synthetic.py
make its windows; report.py and stats.py its tables, figures and numbers;
significance.py, cycles.py and analyze.py (with analyses/) its further
modes; japan.py the real IU.MAJO data, from the paper's event tables
(paper_catalogue.py, ong_tables.csv) by default. See docs/precursor.md.
"""
