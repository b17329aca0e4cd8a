"""Real face verification: OpenCV camera, dlib/face_recognition analysis and matching, liveness.

Module map (each runs on the thread its docstring names; none imports Qt):
  observation.py  the frozen per-frame result shared by quality, matching and liveness
  quality.py      detection, landmarks, pose and the quality gates, with the advice to show
  matching.py     chip-photo reference encoding, probe encodings, the multi-frame decision
  encoder_process.py  dlib's encoder in a child process (it holds the GIL; the preview must not wait)
  liveness.py     passive liveness: non-planar motion (parallax), blink
  challenge.py    the challenge sequence: random head movements at random moments (frame times)
  cue.py          screen colour flashes and their reflection; the DepthSensor port ("none")
  screen_flash.py the colour the face screen shows now (shared with the UI and the demo camera)
  check.py        one face check's decisions, frame by frame (matching + the three checks)
  camera.py       the cv2.VideoCapture camera (capture thread from kiosk/devices/capture.py)
  verifier.py     the FaceVerifier port: camera plumbing around check.py
"""
