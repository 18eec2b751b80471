"""Conversions between our raw dataset folder and YOLO / COCO, and shape conversion."""
