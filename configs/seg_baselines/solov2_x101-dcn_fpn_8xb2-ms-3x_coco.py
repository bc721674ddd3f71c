# Teacher row, BPKD supplementary Table 4: SOLOv2-X101-DCN (ResNeXt-101 64x4d with DCNv2 in stages 2-4 and in the mask head),
# COCO instance segmentation, multi-scale 1333x(640-800) training, 3x schedule (36 epochs), 8 GPUs x 2 images.
# mmdet's config, unchanged (the file name adds mmdet 3.x's "8xb2" so that teacher and student rows name their
# shared setting the same way).
_base_ = 'mmdet::solov2/solov2_x101-dcn_fpn_ms-3x_coco.py'
