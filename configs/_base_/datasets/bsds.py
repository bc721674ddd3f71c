# BSDS500 for edge detection, in the layout of RCF's release (HED-BSDS/ + the combined list) plus BSDS500's .mat test
# ground truth. tools/dataset_generators/synthetic_bsds.py writes the same layout (BSDS half only).
#   data/BSDS/HED-BSDS/train_pair.lst, HED-BSDS/train/aug_{data,gt}/..., HED-BSDS/test.lst, HED-BSDS/test/*.jpg
#   data/BSDS/bsds_pascal_train_pair.lst (+ PASCAL/ for the real set), data/BSDS/BSDS500/data/groundTruth/test/*.mat
# Training: the offline-augmented images as listed (HED/RCF augment offline: no online augmentation), batch 1.
# Test: full images; EdgeDetector pads to a multiple of 32 and crops the prediction back.
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)
dataset_type = 'mmkd.BSDSDataset'
data_root = 'data/BSDS'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmkd.LoadEdgeAnnotations'),
    dict(type='mmkd.PackEdgeInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmkd.LoadEdgeAnnotations'),
    dict(type='mmkd.PackEdgeInputs'),
]
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='bsds_pascal_train_pair.lst',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='HED-BSDS/test.lst',
                 gt_mat_dir='BSDS500/data/groundTruth/test', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
# ODS / OIS / AP with the BSDS protocol (99 thresholds, 0.0075 x diagonal), mmkd.EdgeMetric.
val_evaluator = dict(type='mmkd.EdgeMetric')
test_evaluator = val_evaluator
