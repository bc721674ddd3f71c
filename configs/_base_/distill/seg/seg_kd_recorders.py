# Recorders shared by segmentation KD configs (mmrazor ConfigurableDistiller): decode-head logits of both models,
# the decode head's penultimate features (inputs of conv_seg: take data_idx=0 in loss_forward_mappings), and the
# student's ground-truth labels: mmseg's BaseDecodeHead.loss_by_feat calls loss_decode(seg_logits, seg_label, ...),
# so data_idx=1 of the loss_decode inputs is the label map [N, H, W] (use 'decode_head.loss_decode.0' when a
# config's loss_decode is a list).
student_recorders = dict(
    logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
    feats=dict(type='ModuleInputs', source='decode_head.conv_seg'),
    gt_labels=dict(type='ModuleInputs', source='decode_head.loss_decode'))
teacher_recorders = dict(
    logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
    feats=dict(type='ModuleInputs', source='decode_head.conv_seg'))
