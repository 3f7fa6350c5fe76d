"""DNN partition profiles: the data model (:mod:`.profile`), the shipped library (:mod:`.library`), its per-device
latency model (:mod:`.latency_model`) and the Scission table import (:mod:`.scission`)."""
