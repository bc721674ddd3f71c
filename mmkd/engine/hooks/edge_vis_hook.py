# Copyright (c) mmkd contributors. All rights reserved.
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmengine.hooks import Hook
from mmengine.utils import mkdir_or_exist

from mmkd.registry import HOOKS


@HOOKS.register_module()
class EdgeVisualizationHook(Hook):
    """Write each test image's edge probability map as an 8-bit PNG (255 = edge), the form BSDS tools read.

    ``tools/test.py CONFIG CKPT --show-dir DIR`` sets ``draw=True`` and ``test_out_dir=DIR``; then every
    ``interval``-th test batch writes ``DIR/<img_id>.png`` (``img_id``, or the image file's stem) from
    ``data_sample.pred_edge_map`` ([1, H, W] probabilities of :class:`mmkd.EdgeDetector`, at the original image
    size). With ``side_by_side=True`` the image and the map are written next to each other (``<img_id>_vis.png``).
    A relative ``test_out_dir`` is taken inside the run's log directory, as mmseg/mmdet's hooks do.

    Args:
        draw (bool): Write anything at all. Defaults to False (off unless --show-dir / --show).
        interval (int): Every how many test batches to write. Defaults to 1.
        test_out_dir (str, optional): Output folder. Defaults to None: ``vis_edges`` in the log directory.
        side_by_side (bool): Also write image | edge map. Defaults to False.
        show (bool): Accepted for tools/test.py's --show; edge maps are only written, not displayed.
        wait_time (float): Accepted with ``show``; unused.
    """

    def __init__(self,
                 draw: bool = False,
                 interval: int = 1,
                 test_out_dir: Optional[str] = None,
                 side_by_side: bool = False,
                 show: bool = False,
                 wait_time: float = 0.0) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'EdgeVisualizationHook: interval must be a positive int, got {interval!r}')
        self.draw = draw
        self.interval = interval
        self.test_out_dir = test_out_dir
        self.side_by_side = side_by_side
        self.show = show
        self.wait_time = wait_time

    def before_test(self, runner) -> None:
        if not self.draw:
            return
        out_dir = self.test_out_dir or 'vis_edges'
        self._out_dir = out_dir if osp.isabs(out_dir) else osp.join(runner.log_dir, out_dir)
        mkdir_or_exist(self._out_dir)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict = None,
                        outputs: Optional[Sequence] = None) -> None:
        if not self.draw or outputs is None or batch_idx % self.interval != 0:
            return
        for sample in outputs:
            if 'pred_edge_map' not in sample:
                raise KeyError('EdgeVisualizationHook: the model output has no pred_edge_map; it draws the '
                               'predictions of mmkd.EdgeDetector (or a distillation algorithm whose student is one)')
            prob = sample.pred_edge_map.data.detach().float().cpu().numpy()[0]
            edge_png = np.clip(np.rint(prob * 255), 0, 255).astype(np.uint8)
            img_path = sample.metainfo.get('img_path', f'{batch_idx}.png')
            name = str(sample.metainfo.get('img_id') or osp.splitext(osp.basename(img_path))[0])
            mmcv.imwrite(edge_png, osp.join(self._out_dir, f'{name}.png'))
            if self.side_by_side and osp.isfile(img_path):
                img = mmcv.imread(img_path)
                if img.shape[:2] == edge_png.shape:
                    mmcv.imwrite(np.concatenate([img, np.repeat(edge_png[..., None], 3, axis=2)], axis=1),
                                 osp.join(self._out_dir, f'{name}_vis.png'))
