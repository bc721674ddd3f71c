# FCOS-R50-FPN (GN head), caffe-style ResNet-50, COCO, 1x: teacher of RM + PFI (AAAI 2022) Tables 1, 2. mmdet's
# config (BGR input, mean subtraction, std 1; basic FCOS: center_sampling=False, as mmdet's released 36.6 AP model =
# the paper's teacher) with the paper's lr. DenseDetectorDistill gives it the images in this normalisation while the
# PyTorch-style student sees its own.
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'
# The paper's optimiser (RM + PFI (AAAI 2022), implementation details): SGD, lr 0.02 for 8 GPUs x 2 images (batch 16;
# mmdet's config has 0.01). On another number of GPUs or images per GPU, enable linear scaling:
# --cfg-options auto_scale_lr.enable=True (lr x actual batch / 16).
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=False, base_batch_size=16)
