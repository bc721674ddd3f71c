# RetinaNet on MobileNetV2 at half width, COCO, 1x: student of RM + PFI (AAAI 2022) Table 3. The teacher row's config
# with widen_factor=0.5 (C3-C5: 16, 48, 160 channels; the FPN stays 256 wide so PFI compares features one to one).
# ImageNet weights: timm's mobilenetv2_050 (lamb_in1k), converted once to this layout (see ../README.md):
#   python tools/model_converters/timm_mobilenetv2_to_mmdet.py mobilenetv2_050-3d30d450.pth \
#       checkpoints/mobilenetv2_050_timm-mmdet.pth
_base_ = './retinanet_mobilenet-v2_fpn_8xb2-1x_coco.py'
model = dict(
    backbone=dict(widen_factor=0.5,
                  init_cfg=dict(type='Pretrained', checkpoint='checkpoints/mobilenetv2_050_timm-mmdet.pth')),
    neck=dict(in_channels=[16, 48, 160]))
