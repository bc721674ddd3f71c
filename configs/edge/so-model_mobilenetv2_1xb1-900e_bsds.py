# Row "SO Model" (Exp. 1 of the 2020 article "Accuracy and runtime tradeoff in modern edge detection algorithms":
# ODS 0.7355): the student with a side output from each of the 5 decoder blocks, trained alone; all 6 outputs in the summed class-balanced BCE with equal weights.
_base_ = ['./model_mobilenetv2_1xb1-900e_bsds.py']
model = dict(network=dict(side_outputs=True))
