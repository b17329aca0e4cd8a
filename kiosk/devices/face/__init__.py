"""Real face verification: OpenCV camera, dlib/face_recognition analysis and matching, liveness.

Module map (each runs on the thread its docstring names; none imports Qt):
  observation.py  the frozen per-frame result shared by quality, matching and liveness
  quality.py      detection, landmarks, pose and the quality gates, with the advice to show
  matching.py     chip-photo reference encoding, probe encodings, the multi-frame decision
  encoder_process.py  dlib's encoder in a child process (it holds the GIL; the preview must not wait)
  liveness.py     passive (blink / non-rigid motion) and challenge (blink, turn) liveness
  camera.py       the cv2.VideoCapture camera (capture thread from kiosk/devices/capture.py)
  verifier.py     the FaceVerifier port: ties the above together for one face check
"""
