# Copyright (c) mmkd contributors. All rights reserved.
"""Collect the results of finished runs: the README table (row, paper, ours, Δ) and, optionally, the metafiles.

Reads mmengine's logs of every work dir given (``<work_dir>/<timestamp>/vis_data/scalars.json``, or the
``<timestamp>.json`` beside it: one JSON dict per logged step; validation/test steps carry the metrics, e.g.
``{"aAcc": 84.9, "mIoU": 29.4, "mAcc": 36.1, "step": 600}``), takes the **last** evaluation of the newest run, and
finds the row by the work dir's name (mmengine's default ``work_dirs/<config name>``) or by the config dumped into it.
The paper numbers are the row's metafile ``Results`` (the published tables, ``docs/paper_tables/``).

With ``--update-metafile`` the measured numbers become the row's ``Source: mmkd (ours)`` block of its
``configs/<folder>/metafile.yml`` (replacing an older one), and the README tables are regenerated
(``tools/misc/gen_seg_kd_configs.py``), so that the "ours" column of every README shows them.

Usage::

    python tools/analysis_tools/collect_results.py work_dirs/*
    python tools/analysis_tools/collect_results.py work_dirs/bpkd_* --update-metafile
"""
import argparse
import glob
import importlib.util
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import yaml

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
OURS = 'mmkd (ours)'
#: logged key -> (metafile metric, scale): semantic segmentation (mmseg's IoUMetric, in %) and COCO mask AP (mmdet's
#: CocoMetric, a fraction)
METRICS = {
    'Semantic Segmentation': [('mIoU', 'mIoU', 1.0), ('mAcc', 'mAcc', 1.0), ('trimap/mIoU', 'trimap mIoU', 1.0)],
    'Instance Segmentation': [('coco/segm_mAP', 'AP', 100.0), ('coco/segm_mAP_50', 'AP50', 100.0),
                              ('coco/segm_mAP_75', 'AP75', 100.0), ('coco/segm_mAP_s', 'APs', 100.0),
                              ('coco/segm_mAP_m', 'APm', 100.0), ('coco/segm_mAP_l', 'APl', 100.0)],
}
PRIMARY = {'Semantic Segmentation': 'mIoU', 'Instance Segmentation': 'AP'}


def metafile_entries(root: str = REPO_ROOT) -> Dict[str, Tuple[str, dict]]:
    """Row name -> (metafile path, entry) over every metafile the repository lists."""
    entries = {}
    for path in sorted(glob.glob(osp.join(root, 'configs', '*', 'metafile.yml'))):
        with open(path) as f:
            for entry in (yaml.safe_load(f) or {}).get('Models') or []:
                entries[entry['Name']] = (path, entry)
    return entries


def last_evaluation(work_dir: str) -> Tuple[Optional[dict], Optional[str]]:
    """The last logged dict with an evaluation metric in the newest run's log, and that log's path."""
    keys = {key for metrics in METRICS.values() for key, _, _ in metrics}
    logs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')) +
                  glob.glob(osp.join(work_dir, 'vis_data', 'scalars.json')) +
                  glob.glob(osp.join(work_dir, '*', 'vis_data', '[0-9]*.json')) +
                  glob.glob(osp.join(work_dir, '*', '[0-9]*.json')), key=osp.getmtime, reverse=True)
    for log in logs:
        found = None
        with open(log) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f'{log}: not mmengine\'s JSON-lines log ({err})') from err
                if isinstance(record, dict) and keys & set(record):
                    found = record
        if found is not None:
            return found, log
    return None, None


def row_name(work_dir: str, entries: Dict[str, Tuple[str, dict]]) -> Optional[str]:
    """The row a work dir belongs to: its own name, or the name of a config mmengine dumped into it."""
    name = osp.basename(osp.normpath(work_dir))
    if name in entries:
        return name
    for dumped in sorted(glob.glob(osp.join(work_dir, '*.py')) + glob.glob(osp.join(work_dir, '*', '*.py'))):
        if osp.basename(dumped)[:-3] in entries:
            return osp.basename(dumped)[:-3]
    return None


def measured(record: dict, task: str) -> Dict[str, float]:
    return {name: round(float(record[key]) * scale, 2) for key, name, scale in METRICS[task] if key in record}


def collect(work_dirs: List[str], root: str = REPO_ROOT) -> List[dict]:
    """One result per work dir: row, task, paper blocks, ours metrics, log path (errors name the work dir)."""
    entries, results = metafile_entries(root), []
    for work_dir in work_dirs:
        if not osp.isdir(work_dir):
            raise FileNotFoundError(f'{work_dir}: not a directory (give the work dirs of finished runs)')
        name = row_name(work_dir, entries)
        if name is None:
            raise ValueError(f'{work_dir}: no metafile row is named {osp.basename(osp.normpath(work_dir))!r} and no '
                             'config of a row was dumped into it; name the work dir after the config it ran.')
        record, log = last_evaluation(work_dir)
        if record is None:
            raise ValueError(f'{work_dir}: no evaluation in its logs (*/vis_data/scalars.json); did the run reach a '
                             'validation or test step?')
        path, entry = entries[name]
        papers = [block for block in entry.get('Results') or [] if block.get('Source') != OURS]
        task = papers[0]['Task'] if papers else 'Semantic Segmentation'
        dataset = papers[0]['Dataset'] if papers else entry.get('Metadata', {}).get('Training Data', '')
        results.append(dict(name=name, metafile=path, task=task, dataset=dataset, papers=papers,
                            ours=measured(record, task), log=log, step=record.get('step')))
    return results


def table(results: List[dict]) -> str:
    """The README-style table: row, table, paper, ours, Δ of the primary metric."""
    lines = ['| row | table | paper | ours | Δ |', '|---|---|---|---|---|']
    for result in results:
        metric = PRIMARY[result['task']]
        ours = result['ours'].get(metric)
        for block in result['papers'] or [dict(Source='—', Metrics={})]:
            paper = block['Metrics'].get(metric)
            delta = f'{ours - paper:+.2f}' if ours is not None and paper is not None else '—'
            lines.append(f"| {result['name']} | {block['Source']} | {'—' if paper is None else paper} | "
                         f"{'—' if ours is None else f'{ours:.2f}'} ({metric}) | {delta} |")
    return '\n'.join(lines)


def update_metafiles(results: List[dict]) -> List[str]:
    """Write every result as its row's ``Source: mmkd (ours)`` block; returns the metafiles written."""
    by_file: Dict[str, List[dict]] = {}
    for result in results:
        by_file.setdefault(result['metafile'], []).append(result)
    for path, items in by_file.items():
        with open(path) as f:
            meta = yaml.safe_load(f)
        for result in items:
            entry = [e for e in meta['Models'] if e['Name'] == result['name']][0]
            blocks = [b for b in entry.get('Results') or [] if b.get('Source') != OURS]
            blocks.append(dict(Task=result['task'], Dataset=result['dataset'], Metrics=result['ours'], Source=OURS))
            entry['Results'] = blocks
        with open(path, 'w') as f:
            yaml.safe_dump(meta, f, sort_keys=False, allow_unicode=True, width=120)
    return sorted(by_file)


def regenerate_readmes(root: str = REPO_ROOT) -> None:
    """Rerun the segmentation-KD generator so that the README tables show the new "ours" numbers."""
    spec = importlib.util.spec_from_file_location('gen_seg_kd_configs',
                                                  osp.join(root, 'tools', 'misc', 'gen_seg_kd_configs.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.REPO_ROOT, module.TABLES = root, osp.join(root, 'docs', 'paper_tables')
    module.main([])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='work dirs of finished runs (work_dirs/<config name>)')
    parser.add_argument('--update-metafile', action='store_true',
                        help="write the results as the rows' `mmkd (ours)` Results and regenerate the README tables")
    args = parser.parse_args(argv)
    try:
        results = collect(args.work_dirs)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(table(results))
    if args.update_metafile:
        for path in update_metafiles(results):
            print(f'updated {osp.relpath(path, REPO_ROOT)}')
        regenerate_readmes()
    return 0


if __name__ == '__main__':
    sys.exit(main())
