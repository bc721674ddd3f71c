# Copyright (c) mmkd contributors. All rights reserved.
"""BSDS500 edge detection data: HED/RCF list files (image + label pairs) and BSDS500 test images with .mat GT."""
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset

from mmkd.registry import DATASETS


@DATASETS.register_module()
class BSDSDataset(BaseDataset):
    """Edge detection lists in the layout of HED's and RCF's BSDS500 releases.

    Each line of ``ann_file`` is either ``<image> <label>`` (training lists: HED's ``HED-BSDS/train_pair.lst``,
    RCF's ``bsds_pascal_train_pair.lst``; the label is a grey PNG whose value / 255 is the fraction of annotators that
    marked the pixel) or ``<image>`` alone (``HED-BSDS/test.lst``). Paths in a list are relative to the list's own
    folder (that is how both releases write them) unless ``list_root`` is given. For image-only lines,
    ``gt_mat_dir`` (e.g. ``BSDS500/data/groundTruth/test``) names the folder of the BSDS500 ``<stem>.mat`` ground
    truth, read by :class:`LoadEdgeAnnotations` (each annotator's ``Boundaries``). Without it the images are
    unlabelled (inference / ``--show-dir`` only).

    Data info keys: ``img_path``, ``img_id`` (file stem), and ``edge_map_path`` or ``gt_mat_path`` when labelled.
    ``synthetic_bsds.py``'s output loads through this class unchanged (it writes the same layout).

    Args:
        ann_file (str): List file, relative to ``data_root``.
        data_root (str): Dataset root. Defaults to ''.
        list_root (str, optional): Folder the list's paths are relative to (relative to ``data_root``).
            Defaults to None: the list file's folder.
        gt_mat_dir (str, optional): Folder of BSDS500 ``.mat`` ground truth for image-only lines (relative to
            ``data_root``). Defaults to None.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``test_mode``, ``indices`` ...).
    """

    METAINFO = dict(classes=('non-edge', 'edge'))

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 list_root: Optional[str] = None,
                 gt_mat_dir: Optional[str] = None,
                 **kwargs) -> None:
        self.list_root = list_root
        self.gt_mat_dir = gt_mat_dir
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    def _under_root(self, path: Optional[str]) -> Optional[str]:
        if path is None or osp.isabs(path) or not self.data_root:
            return path
        return osp.join(self.data_root, path)

    def load_data_list(self) -> List[dict]:
        """Parse ``ann_file`` (``self.ann_file`` is already joined with ``data_root`` by mmengine)."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'BSDSDataset: list file {self.ann_file} does not exist (data_root='
                                    f'{self.data_root!r}); see tools/dataset_generators/synthetic_bsds.py or the '
                                    'HED/RCF BSDS500 releases for the layout')
        root = self._under_root(self.list_root) if self.list_root is not None else osp.dirname(self.ann_file)
        mat_dir = self._under_root(self.gt_mat_dir)
        data_list = []
        with open(self.ann_file) as f:
            for line_no, line in enumerate(f, 1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) > 2:
                    raise ValueError(f'BSDSDataset: {self.ann_file}:{line_no}: expected "<image> [<label>]", got '
                                     f'{line.strip()!r}')
                img_path = osp.join(root, fields[0])
                info = dict(img_path=img_path, img_id=osp.splitext(osp.basename(fields[0]))[0], seg_fields=[])
                if len(fields) == 2:
                    info['edge_map_path'] = osp.join(root, fields[1])
                elif mat_dir is not None:
                    info['gt_mat_path'] = osp.join(mat_dir, info['img_id'] + '.mat')
                data_list.append(info)
        if not data_list:
            raise ValueError(f'BSDSDataset: list file {self.ann_file} has no entries')
        return data_list
