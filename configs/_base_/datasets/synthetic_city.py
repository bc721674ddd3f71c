# The synthetic city (tools/dataset_generators/synthetic_cityscapes.py): real Cityscapes layout, 19 classes, read by
# mmseg's CityscapesDataset. Small images so the embedded demo trains on 2 CPU cores in minutes.
dataset_type = 'CityscapesDataset'
data_root = 'data/synthetic_city'
crop_size = (128, 256)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(256, 128), ratio_range=(1.0, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Boundary quality beside mIoU: IoU on a 3-pixel band around the GT class boundaries (mmkd.TrimapIoUMetric).
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)
val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU']), dict(type='mmkd.TrimapIoUMetric', band_width=3)]
test_evaluator = val_evaluator
