# RetinaNet-R50-FPN, Pascal VOC 07+12: student of RM + PFI (AAAI 2022) Table 7. mmdet's VOC config with the paper's
# schedule.
_base_ = 'mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712.py'
# The paper's VOC schedule (RM + PFI (AAAI 2022) Table 7): VOC07+12 trainval, 18 epochs, SGD lr 0.02 for 8 GPUs x 2
# images, /10 at epochs 14 and 16; VOC07 test, mAP@0.5 (mmdet's VOCMetric). Not mmdet's 4 epochs x RepeatDataset(3).
train_dataloader = dict(dataset=dict(_delete_=True, **_base_.train_dataloader.dataset.dataset))
max_epochs = 18
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[14, 16], gamma=0.1)]
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=False, base_batch_size=16)
