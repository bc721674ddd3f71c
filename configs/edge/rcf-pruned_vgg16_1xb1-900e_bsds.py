# Row "pruned RCF, fine-tuned" (the 2020 article "Accuracy and runtime tradeoff in modern edge detection
# algorithms": ODS 0.7264, ~2.8x faster than RCF). Channel pruning (He et al., ICCV 2017) of RCF's VGG16 trunk is done by tools/pruning/ (LASSO channel selection + least-squares reconstruction, layer by
# layer), which writes the pruned checkpoint and the per-conv widths. This row fine-tunes it with RCF's recipe:
#   python tools/train.py configs/edge/rcf-pruned_vgg16_1xb1-900e_bsds.py \
#       --cfg-options load_from=PRUNED.pth model.network.backbone.channels="[w1,...,w13]"
# or use the config the pruning tool writes (it inherits this one). The widths below are a placeholder default:
# conv1-conv4 at half width, conv5 kept (the pruning tool's widths replace them).
_base_ = ['./rcf_vgg16_1xb1-900e_bsds.py']
pruned_channels = [32, 32, 64, 64, 128, 128, 128, 256, 256, 256, 512, 512, 512]
model = dict(network=dict(backbone=dict(channels=pruned_channels)))
load_from = 'work_dirs/rcf_pruned/rcf_pruned.pth'
